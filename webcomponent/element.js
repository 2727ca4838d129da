// <chat-bot>'s public API and lifecycle: attributes, properties, methods and events. What
// it runs is chat.js, the features and their wiring, built at the element's first use.

import {Chat} from './chat.js'
import {DEFAULT_CONFIG, withDefaults} from './config.js'
import {emit} from './core/events.js'
import * as protocol from './core/protocol.js'
import {setTrustedTypesPolicy} from './core/html.js'

/**
 * A chat conversation: a message log, streamed replies and a message box.
 *
 * With `src`, it talks to a flask-chatbot blueprint mounted there: it loads
 * `${src}/config.json` and opens the WebSocket named in it (docs/protocol.md). Without
 * `src` it connects to nothing and a page drives it: `applyFrame()` shows server frames,
 * `chat-bot-submit` and `chat-bot-stop` tell the page what the user does.
 *
 *     <script type="module" src="/chat/static/chat-bot.js"></script>
 *     <chat-bot src="/chat"></chat-bot>
 *
 * Its public API (attributes, properties, methods, events, slots, parts and custom
 * properties) is declared in custom-elements.json, beside this file, and typed in
 * chat-bot.d.ts; docs/element.md explains it. tests/test_element_package.py holds the three
 * to the code.
 */
export class ChatBotElement extends HTMLElement {
  static observedAttributes = ['src', 'lang']

  /** Register the element: `ChatBotElement.define()` or `define('my-chat', registry)`. */
  static define(tag = 'chat-bot', registry = customElements) {
    registry.define(tag, this)
    return this
  }

  /** Server HTML goes through `policy.createHTML()` (pages enforcing Trusted Types; docs/element.md). */
  static setCSPTrustedTypesPolicy(policy) {
    setTrustedTypesPolicy(policy)
  }

  #chat = null // Chat (chat.js): the shadow DOM parts and the features, built once at the first use
  #controller = null // one per connectedCallback, aborted in disconnectedCallback
  #config = {...DEFAULT_CONFIG}
  #strings = {} // the page's overrides of the element's texts
  #pageId // the id the page gave the element, before config.json's elem_id may set one

  constructor() {
    super()
    this.attachShadow({mode: 'open'})
  }

  connectedCallback() {
    this.#pageId ??= this.id
    const chat = this.#built()
    this.#controller = new AbortController()
    chat.connect(this.#controller.signal)
  }

  disconnectedCallback() {
    this.#chat?.disconnect()
    this.#controller?.abort()
    this.#controller = null
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue || !this.#controller) return
    if (name === 'lang') this.#chat.applyLanguage()
    if (name === 'src') {
      this.#chat.closeSocket()
      this.#chat.openSocket()
    }
  }

  // -- public API -------------------------------------------------------------------

  get src() {
    return this.getAttribute('src') ?? ''
  }

  set src(value) {
    if (value === null || value === undefined || value === '') this.removeAttribute('src')
    else this.setAttribute('src', value)
  }

  get messages() {
    return this.#chat?.conversation.messages ?? []
  }

  set messages(list) {
    this.#built().conversation.replace(list)
  }

  get config() {
    return structuredClone(this.#config)
  }

  set config(value) {
    this.#config = withDefaults(value)
    this.#chat?.configure()
  }

  /** Overrides of the element's own texts: `{name: text}`, or `{lang: {name: text}}` for one language. */
  get strings() {
    return structuredClone(this.#strings)
  }

  set strings(value) {
    this.#strings = value && typeof value === 'object' ? structuredClone(value) : {}
    this.#chat?.applyLanguage()
  }

  /** The language the element speaks (a built-in locale, or English). */
  get language() {
    return this.#chat?.locale.lang ?? 'en'
  }

  get generating() {
    return this.#chat?.conversation.generating ?? false
  }

  get connectionState() {
    return this.#chat?.socket.state ?? null
  }

  /**
   * Show a server frame (`welcome`, `turn`, `message`, `patch`, `done`, `idle`, `error`) as if it
   * came from the socket. Pages with their own backend feed the element this way; a frame whose
   * `seq` is not above the last one of its turn is ignored (docs/protocol.md).
   */
  applyFrame(frame) {
    const chat = this.#built()
    if (!frame || typeof frame !== 'object') return
    chat.apply(frame)
  }

  /**
   * Show `message` (`{role, content, html?, status?, metadata?, options?, id?}`; without `html`
   * the content shows as plain text) at the end of the conversation, or update the message of
   * the same `id`. Returns its id. For pages that drive the element themselves: a blueprint
   * behind `src` hears of it at the next reconnect only.
   */
  addMessage(message) {
    this.#built()
    const id = typeof message?.id === 'string' && protocol.ID_PATTERN.test(message.id) ? message.id : protocol.newMessageId()
    this.applyFrame({type: protocol.MESSAGE, message: {status: 'done', ...message, id}})
    return id
  }

  /** Change message `id` (its `content`, `html`, `status`, `metadata`...); false if there is none. */
  updateMessage(id, changes) {
    const current = this.messages.find(message => message.id === id)
    if (!current) return false
    // New content without new HTML shows as text, not under the old HTML.
    const html = 'html' in changes || !('content' in changes) ? {} : {html: null}
    this.applyFrame({type: protocol.MESSAGE, message: {...current, ...html, ...changes, id}})
    return true
  }

  /**
   * Send `text` as the user's message, as if typed and submitted. Returns the new
   * message's id, or null when it cannot be sent now (empty, generating, offline).
   */
  send(text) {
    return this.#built().conversation.submit(String(text ?? ''))
  }

  /** Ask to stop the reply being generated (offline: once the socket is back). True if a stop was requested. */
  stop() {
    const chat = this.#chat
    if (!this.generating || chat.composer.stopping) return false
    const event = emit(this, 'stop', {id: chat.conversation.list.streamingId()}, true)
    if (event.defaultPrevented) return false
    // Offline it waits for the socket: the server runs the turn on, and the next socket follows
    // it (conversation.js) unless the turn is cut off meanwhile: then there is nothing to stop.
    chat.socket.whenOnline(() => this.generating && chat.socket.send(protocol.stop()))
    chat.composer.stopping = true // until the `idle` frame
    chat.composer.focus() // the stop button is going: focus must not fall to <body>
    return true
  }

  /**
   * Empty the conversation (stopping a reply being generated) and tell the server
   * (`clear`). Fires a cancelable `chat-bot-clear`; false if it was prevented.
   */
  clear() {
    const chat = this.#built()
    if (emit(this, 'clear', {}, true).defaultPrevented) return false
    if (this.generating) this.stop()
    chat.conversation.replace([], protocol.clear())
    chat.composer.focus()
    chat.saveSoon()
    return true
  }

  /** Focus the message box. */
  focus(options) {
    this.#built().composer.focus(options)
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    this.#chat?.scrollToLatest()
  }

  #built() {
    this.#chat ??= new Chat(this, {config: () => this.#config, strings: () => this.#strings, pageId: () => this.#pageId})
    return this.#chat
  }
}
