// <chat-bot>'s public API and lifecycle. It only wires the features, a module each: the
// conversation (conversation.js, render.js), the form (composer.js), autoscroll (scroll.js),
// the server link (socket.js) and the options (config.js), over the parts of parts.js.

import {Composer} from './composer.js'
import {uploadURL} from './attach.js'
import {DEFAULT_CONFIG, applyConfig, avatars, withDefaults} from './config.js'
import {Conversation} from './conversation.js'
import {emit} from './events.js'
import {connectExamples, showExamples} from './examples.js'
import {InputsPanel} from './inputs-panel.js'
import {OutputsPane} from './outputs.js'
import {connectMessageActions, copyTranscript} from './message-actions.js'
import {createParts} from './parts.js'
import * as protocol from './protocol.js'
import {setTrustedTypesPolicy} from './html.js'
import {SavedConversation} from './persist.js'
import {LogScroller} from './scroll.js'
import {ChatSocket} from './socket.js'

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
 * @attr src - Mount URL of the blueprint, e.g. `/chat`. Absent: no connection.
 * @attr theme - `light` or `dark` forces a colour scheme; absent follows the system.
 * @attr show-outputs - Show config.additional_outputs in a pane beside the conversation (the standalone page sets it).
 * @attr persist - `none`: a reload starts afresh. Absent: with `src`, the conversation comes back after a reload (sessionStorage).
 * @attr data-connection - Set by the element (with `src`): 'connecting', 'online' or 'offline'.
 *
 * @prop {string} src - Reflects the `src` attribute.
 * @prop {object[]} messages - Plain copies `{id, role, content, html, status}`; set to replace the conversation.
 * @prop {object} config - The options of config.json in effect; set to configure an element without `src`.
 * @prop {boolean} generating - True from a submit until the `idle` frame (read-only).
 * @prop {string|null} connectionState - 'connecting', 'online', 'offline', or null without `src` (read-only).
 *
 * @fires chat-bot-submit - Cancelable. detail `{id, text}`. Prevented: nothing goes to the socket.
 * @fires chat-bot-stop - Cancelable. detail `{id}` (the streaming message, or null).
 * @fires chat-bot-message - A message got its final form. detail `{message}`.
 * @fires chat-bot-connection - The socket's state changed. detail `{state, idle}`.
 * @fires chat-bot-error - An `error` frame arrived. detail `{code, message, id}`.
 * @fires chat-bot-like - Cancelable. The reader gave feedback. detail `{id, value, message}` (value null: taken back).
 * @fires chat-bot-retry - Cancelable. The reader asked for the last reply again. detail `{}`.
 * @fires chat-bot-undo - Cancelable. The reader took the last exchange back. detail `{id, text}`.
 * @fires chat-bot-clear - Cancelable. The conversation is being cleared. detail `{}`.
 * @fires chat-bot-copy - The reader copied a message. detail `{id, message}`.
 * @fires chat-bot-edit - Cancelable. The reader saved an edit. detail `{id, text, previous, newId}`.
 * @fires chat-bot-version - Cancelable. The reader switched a turn's version. detail `{id, version, count}`.
 * @fires chat-bot-select - The reader clicked a message (config.selectable). detail `{id, message}`.
 * @fires chat-bot-example - Cancelable. The reader clicked an example card. detail `{index, text}`.
 * @fires chat-bot-output - An additional output changed. detail `{index, label, html, value}`.
 *
 * @slot placeholder - Shown while the conversation is empty (instead of config.placeholder).
 *
 * @csspart form - The form around the message box and buttons.
 * @csspart log - The scrolling conversation (role="log").
 * @csspart message - Each message; also `user` or `assistant` (e.g. `::part(message user)`).
 * @csspart bubble - The box around a message's content.
 * @csspart thought-toggle - The button that opens and closes a thought (metadata.title).
 * @csspart thought-title - A thought's title.
 * @csspart thought-duration - A thought's duration.
 * @csspart thought-log - A thought's log (metadata.log).
 * @csspart thought-body - A thought's content and the thoughts nested in it.
 * @csspart options - The preset replies under the last message; each button is part `option`.
 * @csspart copy-message - A message's copy button (config.buttons holds "copy").
 * @csspart copy-code - A code block's copy button.
 * @csspart avatar - A message's avatar (config.avatar_images).
 * @csspart header - Above the log: the label, the copy-all button (part `copy-all`) and the clear button (`clear-button`).
 * @csspart like - A reply's thumbs-up; `dislike` its thumbs-down; `flag` the flag menu, `flag-option` its choices.
 * @csspart retry - "Retry" under the last reply; `undo` "Undo" beside it.
 * @csspart edit - A message's edit button (config.editable).
 * @csspart editor - The editor in place of a message: `editor-input`, `editor-cancel`, `editor-save`.
 * @csspart versions - The switcher of an edited turn's versions: `version-prev`, `version-next`.
 * @csspart examples - The example cards in the empty chat; each `example`, its icon `example-icon`.
 * @csspart content - A message's rendered content.
 * @csspart input - The textarea.
 * @csspart send-button - The submit button.
 * @csspart stop-button - The stop button shown while generating.
 * @csspart placeholder - What is shown while the conversation is empty.
 * @csspart pending - Three dots shown until the reply starts.
 * @csspart status - The connection status line (role="status").
 * @csspart scroll-button - "Scroll to latest", shown when the reader scrolled up.
 * @csspart error - An error alert in the log (role="alert").
 *
 * @cssprop --chat-bot-accent - Accent colour: user bubbles, send button, links, focus ring.
 * @cssprop --chat-bot-accent-fg - Text on the accent colour.
 * @cssprop --chat-bot-bg - Background of the element.
 * @cssprop --chat-bot-fg - Text colour.
 * @cssprop --chat-bot-muted - Secondary text (placeholder, status).
 * @cssprop --chat-bot-surface - Background of assistant bubbles and the message box.
 * @cssprop --chat-bot-border - Borders and rules.
 * @cssprop --chat-bot-code-bg - Background of code blocks.
 * @cssprop --chat-bot-error - Colour of errors.
 * @cssprop --chat-bot-error-bg - Background of error alerts.
 * @cssprop --chat-bot-font - Font family.
 * @cssprop --chat-bot-mono - Monospace font family (code).
 * @cssprop --chat-bot-font-size - Base font size.
 * @cssprop --chat-bot-radius - Corner radius of bubbles and the message box.
 * @cssprop --chat-bot-max-width - Width of the conversation column.
 * @cssprop --chat-bot-input-max-height - Height at which the message box stops growing.
 */
export class ChatBotElement extends HTMLElement {
  static observedAttributes = ['src']

  /** Register the element: `ChatBotElement.define()` or `define('my-chat', registry)`. */
  static define(tag = 'chat-bot', registry = customElements) {
    registry.define(tag, this)
    return this
  }

  /**
   * Make server HTML go through `policy.createHTML()` (pages enforcing Trusted Types).
   *
   *     ChatBotElement.setCSPTrustedTypesPolicy(trustedTypes.createPolicy('chat-bot', {
   *       createHTML: html => html,  // the server sanitized it already
   *     }))
   *
   * The policy reaches the copy of render.js this class was loaded with: from the blueprint,
   * import the class from its bundle, `chat-bot.js` (docs/element.md).
   */
  static setCSPTrustedTypesPolicy(policy) {
    setTrustedTypesPolicy(policy)
  }

  #controller = null // one per connectedCallback, aborted in disconnectedCallback
  #config = {...DEFAULT_CONFIG}
  #saved = null // SavedConversation: what a reload restores (with `src`, unless persist="none")
  #pageId // the id the page gave the element, before config.json's elem_id may set one

  // Created once in #build(): the shadow DOM parts and the features that drive them.
  #built = false
  #parts
  #conversation
  #composer
  #scroller
  #socket
  #inputs
  #outputs

  constructor() {
    super()
    this.attachShadow({mode: 'open'})
  }

  connectedCallback() {
    this.#pageId ??= this.id
    this.#build()
    this.#controller = new AbortController()
    const {signal} = this.#controller
    const send = (text, files) => !this.generating && !this.#socket.holdSubmit() && this.#conversation.submit(text, null, null, files)
    this.#composer.connect(signal, {send, stop: () => this.stop(), activity: () => this.#socket.wake()})
    this.#scroller.connect(signal)
    const conversation = this.#conversation
    connectMessageActions(this.#parts.log, {
      option: (value, element) => !this.generating && !this.#socket.holdSubmit() && conversation.submit(value, element?.dataset.id),
      messageText: element => conversation.list.copyTextOf(element),
      copied: element => conversation.copied(element),
      feedback: (element, value) => {
        conversation.feedback(element, value)
        this.#saved?.schedule()
      },
      retry: () => conversation.retry() && this.#composer.focus(),
      undo: () => {
        const text = conversation.undo()
        if (text !== null) this.#composer.restore(text)
      },
      edit: element => conversation.edits.begin(element),
      version: (element, step) => conversation.edits.step(element, step) && this.#saved?.schedule(),
      selectable: () => this.#config.selectable === true,
      select: element => conversation.selected(element),
    }, signal)
    // The conversation is saved for a reload when the page goes away, even mid-reply.
    addEventListener('pagehide', () => this.#saved?.save(), {signal})
    const copyAll = this.#parts.copyAllButton
    copyAll.addEventListener('click', () => copyTranscript(copyAll, conversation.list.transcript(), this.#config.watermark), {signal})
    this.#parts.clearButton.addEventListener('click', () => this.clear(), {signal})
    connectExamples(this.#parts.examples, (index, text, inputs) => this.#pickExample(index, text, inputs), signal)
    this.#openSocket()
    this.#autofocus()
  }

  disconnectedCallback() {
    this.#closeSocket()
    this.#controller?.abort()
    this.#controller = null
  }

  attributeChangedCallback(name, oldValue, newValue) {
    if (oldValue === newValue || !this.#controller) return
    if (name === 'src') {
      this.#closeSocket()
      this.#openSocket()
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
    return this.#conversation?.messages ?? []
  }

  set messages(list) {
    this.#build()
    this.#conversation.replace(list)
  }

  get config() {
    return structuredClone(this.#config)
  }

  set config(value) {
    this.#config = withDefaults(value)
    if (this.#built) this.#applyConfig()
  }

  get generating() {
    return this.#conversation?.generating ?? false
  }

  get connectionState() {
    return this.#socket?.state ?? null
  }

  /**
   * Show a server frame (`welcome`, `message`, `patch`, `done`, `idle`, `error`) as if it
   * came from the socket. Pages with their own backend feed the element this way.
   */
  applyFrame(frame) {
    this.#build()
    if (!frame || typeof frame !== 'object') return
    if (frame.type === protocol.OUTPUT) this.#outputs.apply(frame)
    else if (this.#conversation.apply(frame)) this.#contentChanged()
  }

  /**
   * Send `text` as the user's message, as if typed and submitted. Returns the new
   * message's id, or null when it cannot be sent now (empty, generating, offline).
   */
  send(text) {
    this.#build()
    return this.#conversation.submit(String(text ?? ''))
  }

  /** Ask to stop the reply being generated. True if a stop was requested. */
  stop() {
    if (!this.generating || this.#composer.stopping) return false
    const event = emit(this, 'stop', {id: this.#conversation.list.streamingId()}, true)
    if (event.defaultPrevented) return false
    this.#socket.send(protocol.stop())
    this.#composer.stopping = true // until the `idle` frame
    this.#composer.focus() // the stop button is going: focus must not fall to <body>
    return true
  }

  /**
   * Empty the conversation (stopping a reply being generated) and tell the server
   * (`clear`). Fires a cancelable `chat-bot-clear`; false if it was prevented.
   */
  clear() {
    this.#build()
    if (emit(this, 'clear', {}, true).defaultPrevented) return false
    if (this.generating) this.stop()
    this.#conversation.replace([], protocol.clear())
    this.#composer.focus()
    this.#saved?.schedule()
    return true
  }

  /** Focus the message box. */
  focus(options) {
    this.#build()
    this.#composer.focus(options)
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    if (this.#built) this.#scroller.scrollToLatest()
  }

  // -- wiring ---------------------------------------------------------------------------

  #build() {
    if (this.#built) return
    this.#built = true
    const parts = (this.#parts = createParts())
    this.#conversation = new Conversation(this, parts, {
      send: frame => this.#socket.send(frame),
      canSend: () => this.#socket.canSend,
      online: action => this.#socket.whenOnline(action),
      focusInput: () => this.#composer.focus(),
      refused: (text, why) => this.#composer.giveBack(text, why),
      inputs: () => this.#inputs.values(),
      shown: () => {
        this.#scroller.follow()
        this.#contentChanged()
      },
      turnEnded: () => {
        this.#composer.stopping = false
        this.#updateControls()
        this.#saved?.schedule()
      },
    })
    // An upload waits for the conversation's key: the socket wakes (if idle) to get it.
    this.#composer = new Composer(parts, {uploadKey: () => (this.#socket.wake(), this.#conversation.whenUploadKey())})
    this.#inputs = new InputsPanel(parts.inputsPanel)
    this.#outputs = new OutputsPane(this, parts.outputs, parts.frame)
    this.#scroller = new LogScroller(parts.log, parts.scrollButton, () => this.#config.autoscroll !== false)
    this.#socket = new ChatSocket(this, parts.status, {
      hello: () => this.#conversation.hello(),
      stateChanged: status => this.#updateControls(status),
      interrupted: () => this.#conversation.interrupt(),
      sendHeld: () => this.#composer.submit(),
    })
    this.shadowRoot.append(parts.stylesheet, parts.frame)
    this.#applyConfig()
  }

  #applyConfig() {
    const config = this.#config
    applyConfig(this.#parts, config, this)
    this.#composer.limit = config.max_message_chars
    this.#composer.files.configure(config, uploadURL(config, this.src))
    if (typeof config.textbox_value === 'string') this.#composer.prefill(config.textbox_value)
    this.#conversation.list.configure(config, avatars(config))
    showExamples(this.#parts.examples, config.examples)
    this.#inputs.show(config.additional_inputs, config.additional_inputs_accordion)
    this.#outputs.show(config.additional_outputs)
    // The conversation a new page starts with (Chatbot(value=...)), unless it shows one.
    if (Array.isArray(config.value) && config.value.length && !this.#conversation.list.size) {
      this.#conversation.replace(config.value)
    }
    this.#updateControls()
    this.#autofocus()
  }

  // An example card: the server's example_select listeners hear of it, then its text goes in
  // the message box and, with run_examples_on_click, is sent from there (as if typed: an idle
  // socket wakes and the text goes once it is back).
  #pickExample(index, text, inputs) {
    if (emit(this, 'example', {index, text}, true).defaultPrevented) return
    this.#socket.send(protocol.example(index))
    this.#inputs.set(inputs) // its values for the additional inputs, if it has some
    // A cached example always runs (Gradio's rule); sent directly, the server knows which it
    // is. So does one with files (they are the server's): it goes once the socket can send.
    const files = this.#config.examples?.[index]?.files?.length > 0
    if (files) return this.#socket.whenOnline(() => this.#conversation.submit(text, null, index, [], true))
    const run = this.#config.cache_examples === true || this.#config.run_examples_on_click !== false
    if (run && !this.generating && !this.#socket.holdSubmit() && this.#conversation.submit(text, null, index)) return
    this.#composer.restore(text)
    if (run) this.#composer.submit()
  }

  // config.autofocus: the message box, once per element (composer.js).
  #autofocus() {
    if (this.#config.autofocus && this.isConnected && this.#controller) this.#composer.autofocusOnce(this.#parts, this)
  }

  #openSocket() {
    if (!this.src) return this.#updateControls()
    this.#saved = SavedConversation.open(this, this.#conversation, this.#pageId)
    this.#socket.open(this.src)
  }

  #closeSocket() {
    if (!this.#built) return
    this.#saved?.save()
    this.#saved = null
    this.#socket.close()
    this.#updateControls()
  }

  #contentChanged() {
    this.#updateControls()
    this.#scroller.schedule()
    this.#saved?.schedule()
  }

  // `status`: the socket's, passed in while a connection reports its first state.
  #updateControls(status = this.#socket.status()) {
    this.#socket.show(status)
    this.#composer.show({generating: this.generating, offline: status.offline})
    this.#parts.frame.toggleAttribute('data-generating', this.generating)
  }
}
