// Types of <chat-bot> for TypeScript pages: the element class, its events and its tag.
// custom-elements.json declares the same API for tools; docs/element.md explains it.

/** A message as the element holds it (`messages`, event details). */
export interface ChatMessage {
  id: string
  role: 'user' | 'assistant' | 'system'
  /** Markdown text, or the object of a file or component the server sent. */
  content: string | Record<string, unknown>
  /** The server's sanitized rendering. */
  html?: string
  status?: 'streaming' | 'done' | 'stopped' | 'error'
  metadata?: Record<string, unknown>
  options?: {value: string; label?: string}[]
  feedback?: string | null
}

/** An uploaded file of a multimodal message. */
export interface ChatFile {
  id: string
  name: string
  size: number
  mime_type: string
}

/** A server frame (docs/protocol.md) as `applyFrame()` takes it. */
export interface ServerFrame {
  type: 'welcome' | 'message' | 'patch' | 'done' | 'remove' | 'conversation' | 'output' | 'idle' | 'status' | 'toast' | 'error' | 'turn'
  /** The frame's number in its turn (from the `turn` frame's 1): one not above the last applied is ignored. */
  seq?: number
  [key: string]: unknown
}

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused'

export interface ChatBotEventMap {
  'chat-bot-submit': CustomEvent<{id: string; text: string; inputs?: unknown[]; files?: ChatFile[]}>
  'chat-bot-stop': CustomEvent<{id: string | null}>
  'chat-bot-message': CustomEvent<{message: ChatMessage}>
  'chat-bot-connection': CustomEvent<{state: ConnectionState; idle: boolean; reason?: 'restart' | 'dropped'}>
  'chat-bot-error': CustomEvent<{code: string; message: string; id: string | null}>
  'chat-bot-like': CustomEvent<{id: string; value: string | null; message: ChatMessage}>
  'chat-bot-retry': CustomEvent<Record<string, never>>
  'chat-bot-undo': CustomEvent<{id: string; text: string}>
  'chat-bot-clear': CustomEvent<Record<string, never>>
  'chat-bot-copy': CustomEvent<{id: string; message: ChatMessage}>
  'chat-bot-edit': CustomEvent<{id: string; text: string; previous: string; newId: string | null}>
  'chat-bot-version': CustomEvent<{id: string; version: number; count: number}>
  'chat-bot-select': CustomEvent<{id: string; message: ChatMessage}>
  'chat-bot-example': CustomEvent<{index: number; text: string}>
  'chat-bot-output': CustomEvent<{index: number; label: string | null; html: string; value: unknown}>
}

export class ChatBotElement extends HTMLElement {
  /** Register the element under `tag` (default `chat-bot`) in `registry`. */
  static define(tag?: string, registry?: CustomElementRegistry): typeof ChatBotElement
  /** Make server HTML go through `policy.createHTML()` (pages enforcing Trusted Types). */
  static setCSPTrustedTypesPolicy(policy: TrustedTypePolicy): void

  /** Mount URL of the blueprint; empty: no connection. Reflects the `src` attribute. */
  src: string
  /** Plain copies of the messages shown; set to replace the conversation. */
  messages: ChatMessage[]
  /** The options of config.json in effect; set to configure an element without `src`. */
  config: Record<string, unknown>
  /** Overrides of the element's own texts: `{send: 'Go'}`, or `{de: {send: 'Los'}}` for one language. */
  strings: Record<string, string | Record<string, string>>
  /** The language the element speaks now: a built-in locale's tag, or `en`. */
  readonly language: string
  /** True from a submit until the `idle` frame. */
  readonly generating: boolean
  /** The socket's state; null without `src`. */
  readonly connectionState: ConnectionState | null

  /** Show a server frame as if it came from the socket. */
  applyFrame(frame: ServerFrame): void
  /** Show `message` at the end (or update the one of its id); returns its id. */
  addMessage(message: Partial<ChatMessage> & {role: ChatMessage['role']}): string
  /** Change message `id`; new content without new html shows as text. False if there is none. */
  updateMessage(id: string, changes: Partial<ChatMessage>): boolean
  /** Send `text` as the user's message; its id, or null when it cannot be sent now. */
  send(text: string): string | null
  /** Ask to stop the reply being generated (while the socket is down: once it is back); true if a stop was requested. */
  stop(): boolean
  /** Empty the conversation and tell the server; false if `chat-bot-clear` was prevented. */
  clear(): boolean
  /** Focus the message box. */
  focus(options?: FocusOptions): void
  /** Scroll to the newest message and follow new content again. */
  scrollToLatest(): void

  addEventListener<K extends keyof ChatBotEventMap>(
    type: K,
    listener: (this: ChatBotElement, event: ChatBotEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void
  addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void
  removeEventListener<K extends keyof ChatBotEventMap>(
    type: K,
    listener: (this: ChatBotElement, event: ChatBotEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void
}

export default ChatBotElement

declare global {
  interface HTMLElementTagNameMap {
    'chat-bot': ChatBotElement
  }
  interface HTMLElementEventMap extends ChatBotEventMap {}
}
