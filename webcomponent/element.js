import {Connection} from './connection.js'
import {MessageInput} from './input.js'
import * as protocol from './protocol.js'
import {MessageView, TEXT, createAlert, createParts, normalizeMessage, parseHTML, setButton, setTrustedTypesPolicy} from './render.js'

// How close to the end of the log (in CSS pixels) counts as "at the end".
const END_SLACK = 24

const DEFAULT_CONFIG = Object.freeze({
  placeholder: null,
  textbox_placeholder: 'Type a message…',
  submit_btn: true,
  stop_btn: true,
  autofocus: false,
  autoscroll: true,
  rtl: false,
})

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
 *
 * @slot placeholder - Shown while the conversation is empty (instead of config.placeholder).
 *
 * @csspart form - The form around the message box and buttons.
 * @csspart log - The scrolling conversation (role="log").
 * @csspart message - Each message; also `user` or `assistant` (e.g. `::part(message user)`).
 * @csspart bubble - The box around a message's content.
 * @csspart title - A message's metadata title (thoughts, tool use).
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
   */
  static setCSPTrustedTypesPolicy(policy) {
    setTrustedTypesPolicy(policy)
  }

  #built = false
  #controller = null // one per connectedCallback, aborted in disconnectedCallback
  #socketController = null // one per socket (src), aborted on disconnect or src change
  #connection = null
  #config = {...DEFAULT_CONFIG}
  #autofocused = false
  #views = new Map()
  #generating = false
  #awaitingEcho = null // id of a submitted user message the server has not echoed yet
  #waking = false // reconnecting after an idle close because the user acted
  #sendWhenOnline = false // the user pressed Enter during that reconnect
  #dropped = false
  #resyncOnIdle = false
  #following = true
  #lastScrollTop = 0
  #scrollFrame = 0

  // Shadow DOM parts, created once in #build().
  #frame
  #status
  #log
  #placeholder
  #placeholderFallback
  #pending
  #scrollButton
  #form
  #textarea
  #sendButton
  #stopButton
  #input

  constructor() {
    super()
    this.attachShadow({mode: 'open'})
  }

  connectedCallback() {
    this.#build()
    this.#controller = new AbortController()
    const {signal} = this.#controller
    this.#input = new MessageInput(this.#textarea, {
      onSubmit: () => this.#submitInput(),
      onActivity: () => this.#userActed(),
      signal,
    })
    this.#form.addEventListener(
      'submit',
      event => {
        event.preventDefault()
        this.#userActed()
        this.#submitInput()
      },
      {signal},
    )
    this.#stopButton.addEventListener('click', () => this.stop(), {signal})
    this.#scrollButton.addEventListener('click', () => this.scrollToLatest(), {signal})
    this.#log.addEventListener('scroll', () => this.#logScrolled(), {signal, passive: true})
    // Images in messages change heights after they load; load does not bubble, so capture.
    this.#log.addEventListener('load', () => this.#scheduleScroll(), {signal, capture: true})
    const resize = new ResizeObserver(() => this.#scheduleScroll())
    resize.observe(this.#log)
    signal.addEventListener('abort', () => resize.disconnect())
    this.#openSocket()
    this.#autofocus()
  }

  disconnectedCallback() {
    this.#closeSocket()
    this.#controller?.abort()
    this.#controller = null
    cancelAnimationFrame(this.#scrollFrame)
    this.#scrollFrame = 0
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
    return Array.from(this.#views.values(), view => view.toJSON())
  }

  set messages(list) {
    this.#build()
    for (const view of this.#views.values()) view.element.remove()
    for (const alert of this.#log.querySelectorAll('.error')) alert.remove()
    this.#views.clear()
    this.#awaitingEcho = null
    for (const item of Array.isArray(list) ? list : []) {
      const message = normalizeMessage(item, protocol.newMessageId)
      this.#views.get(message.id)?.element.remove()
      const view = new MessageView(message)
      this.#views.set(message.id, view)
      this.#log.insertBefore(view.element, this.#pending)
    }
    this.#pending.hidden = true
    this.#conversationChanged()
    this.#following = true
    this.#contentChanged()
    // The server keeps the history it was told: tell it the new one (after the running
    // reply, whose end would otherwise land in the new history).
    if (this.#generating) this.#resyncOnIdle = true
    else this.#connection?.send(protocol.hello(this.#history()))
  }

  get config() {
    return structuredClone(this.#config)
  }

  set config(value) {
    this.#config = {...DEFAULT_CONFIG, ...(value && typeof value === 'object' ? value : {})}
    if (this.#built) this.#applyConfig()
  }

  get generating() {
    return this.#generating
  }

  get connectionState() {
    return this.#connection ? this.#connection.state : null
  }

  /**
   * Show a server frame (`welcome`, `message`, `patch`, `done`, `idle`, `error`) as if it
   * came from the socket. Pages with their own backend feed the element this way.
   */
  applyFrame(frame) {
    this.#build()
    if (!frame || typeof frame !== 'object') return
    switch (frame.type) {
      case protocol.MESSAGE:
        this.#showMessage(frame.message)
        break
      case protocol.PATCH:
        this.#views.get(frame.id)?.patch(frame)
        break
      case protocol.DONE:
        this.#finishMessage(frame)
        break
      case protocol.IDLE:
        this.#endTurn()
        break
      case protocol.ERROR:
        this.#showError(frame)
        break
      default:
        return // welcome, or a type this version does not know
    }
    this.#contentChanged()
  }

  /**
   * Send `text` as the user's message, as if typed and submitted. Returns the new
   * message's id, or null when it cannot be sent now (empty, generating, offline).
   */
  send(text) {
    this.#build()
    return this.#submit(String(text ?? ''))
  }

  /** Ask to stop the reply being generated. True if a stop was requested. */
  stop() {
    if (!this.#generating || this.#stopButton.disabled) return false
    const streaming = [...this.#views.values()].find(view => view.status === protocol.STREAMING)
    const event = this.#emit('stop', {id: streaming?.id ?? null}, true)
    if (event.defaultPrevented) return false
    this.#connection?.send(protocol.stop())
    this.#stopButton.disabled = true // until the `idle` frame
    return true
  }

  /** Empty the conversation (stopping a reply being generated). */
  clear() {
    if (this.#generating) this.stop()
    this.messages = []
  }

  /** Focus the message box. */
  focus(options) {
    this.#build()
    this.#textarea.focus(options)
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    if (!this.#built) return
    this.#following = true
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches
    this.#log.scrollTo({top: this.#log.scrollHeight, behavior: smooth ? 'smooth' : 'instant'})
    this.#scrollButton.hidden = true
  }

  // -- building the shadow DOM --------------------------------------------------------

  #build() {
    if (this.#built) return
    this.#built = true
    const parts = createParts()
    this.#frame = parts.frame
    this.#status = parts.status
    this.#log = parts.log
    this.#placeholder = parts.placeholder
    this.#placeholderFallback = parts.placeholderFallback
    this.#pending = parts.pending
    this.#scrollButton = parts.scrollButton
    this.#form = parts.form
    this.#textarea = parts.textarea
    this.#sendButton = parts.sendButton
    this.#stopButton = parts.stopButton
    this.shadowRoot.append(parts.stylesheet, parts.frame)
    this.#applyConfig()
    this.#conversationChanged()
  }

  #applyConfig() {
    const config = this.#config
    this.#placeholderFallback.replaceChildren(
      typeof config.placeholder === 'string' && config.placeholder ? parseHTML(config.placeholder) : TEXT.placeholder,
    )
    this.#textarea.placeholder = typeof config.textbox_placeholder === 'string' ? config.textbox_placeholder : ''
    setButton(this.#sendButton, config.submit_btn, TEXT.send, 'send')
    setButton(this.#stopButton, config.stop_btn, TEXT.stop, 'stop')
    if (config.rtl) this.#frame.setAttribute('dir', 'rtl')
    else this.#frame.removeAttribute('dir')
    this.#updateControls()
    this.#autofocus()
  }

  // Once per element, when the config asks for it: later configs must not steal focus.
  #autofocus() {
    if (!this.#config.autofocus || this.#autofocused || !this.isConnected || !this.#controller) return
    this.#autofocused = true
    this.focus({preventScroll: true})
  }

  // -- the socket ---------------------------------------------------------------------

  #openSocket() {
    const src = this.src
    if (!src) {
      this.#updateControls()
      return
    }
    this.#socketController = new AbortController()
    const {signal} = this.#socketController
    const base = src.replace(/\/+$/, '')
    const configURL = new URL(`${base}/config.json`, document.baseURI)
    const url = async () => {
      const response = await fetch(configURL, {signal, credentials: 'same-origin', headers: {Accept: 'application/json'}})
      if (!response.ok) throw new Error(`${configURL}: HTTP ${response.status}`)
      const config = await response.json()
      if (signal.aborted) throw signal.reason
      this.#config = {...DEFAULT_CONFIG, ...config}
      this.#applyConfig()
      // The socket path is relative to config.json's origin: same-origin pages get
      // ws(s)://<this host>/..., a page embedding another origin's bot gets that origin.
      const socket = new URL(config.socket ?? `${base}/socket`, configURL)
      socket.protocol = socket.protocol === 'https:' ? 'wss:' : 'ws:'
      return socket.href
    }
    this.#connection = new Connection({
      url,
      history: () => this.#history(),
      onFrame: frame => this.applyFrame(frame),
      onState: (state, connection) => this.#connectionChanged(state, connection),
    })
    signal.addEventListener('abort', () => this.#connection?.destroy())
  }

  #closeSocket() {
    this.#socketController?.abort()
    this.#socketController = null
    this.#connection = null
    this.#waking = this.#sendWhenOnline = this.#dropped = false
    this.#interruptTurn()
    if (this.#built) this.#updateControls()
  }

  #connectionChanged(state, connection = this.#connection) {
    if (state === 'offline') {
      this.#waking = false
      if (!connection.idle) {
        this.#dropped = true
        this.#sendWhenOnline = false
      }
      this.#interruptTurn()
    } else if (state === 'online') {
      this.#waking = false
      this.#dropped = false
    }
    this.#updateControls(connection)
    this.#emit('connection', {state, idle: connection.idle})
    if (state === 'online' && this.#sendWhenOnline) {
      this.#sendWhenOnline = false
      this.#submitInput()
    }
  }

  // What `hello` carries: everything shown, except assistant messages with no text yet and
  // user messages the server never took (rejected, or cut off before its echo): a message
  // rejected as too large must not come back in every hello and be rejected again.
  #history() {
    const history = []
    for (const view of this.#views.values()) {
      if (view.role !== protocol.USER && view.role !== protocol.ASSISTANT) continue
      if (view.role === protocol.ASSISTANT && !view.content) continue
      if (view.role === protocol.USER && view.status === protocol.FAILED) continue
      history.push({id: view.id, role: view.role, content: view.content})
    }
    return history
  }

  #userActed() {
    if (this.#connection?.wake()) this.#waking = true
  }

  // -- turns --------------------------------------------------------------------------

  #submitInput() {
    const text = this.#input.value
    if (!text.trim() || this.#generating) return
    const connection = this.#connection
    if (connection && connection.state !== 'online') {
      // Closed for idleness: reconnect, and send once the new socket has said hello.
      if (connection.idle) this.#userActed()
      if (this.#waking) this.#sendWhenOnline = true
      return
    }
    if (this.#submit(text)) this.#input.clear()
  }

  #submit(text) {
    if (!text.trim() || this.#generating) return null
    if (this.#connection && this.#connection.state !== 'online') return null
    const id = protocol.newMessageId()
    const view = new MessageView({id, role: protocol.USER, content: text, status: protocol.COMPLETE})
    this.#views.set(id, view)
    this.#log.insertBefore(view.element, this.#pending)
    this.#awaitingEcho = id
    this.#generating = true
    this.#pending.hidden = false
    this.#following = true
    this.#conversationChanged()
    this.#contentChanged()
    // A page that prevents the event sends the text its own way.
    const event = this.#emit('submit', {id, text}, true)
    if (!event.defaultPrevented) this.#connection?.send(protocol.submit(id, text))
    return id
  }

  #showMessage(message) {
    if (!message || typeof message !== 'object' || !protocol.ID_PATTERN.test(message.id ?? '')) return
    let view = this.#views.get(message.id)
    if (view) {
      view.update(message)
    } else {
      view = new MessageView(message)
      this.#views.set(message.id, view)
      this.#log.insertBefore(view.element, this.#pending)
    }
    if (message.id === this.#awaitingEcho) this.#awaitingEcho = null
    if (message.role !== protocol.USER) {
      this.#awaitingEcho = null
      this.#pending.hidden = true
    }
    if (view.status === protocol.STREAMING) this.#generating = true
    else this.#emit('message', {message: view.toJSON()})
    this.#conversationChanged()
  }

  #finishMessage(frame) {
    const view = this.#views.get(frame.id)
    if (!view) return
    view.done(frame)
    this.#emit('message', {message: view.toJSON()})
  }

  #endTurn() {
    this.#generating = false
    this.#awaitingEcho = null
    this.#pending.hidden = true
    this.#stopButton.disabled = false
    this.#updateControls()
    if (this.#resyncOnIdle) {
      this.#resyncOnIdle = false
      this.#connection?.send(protocol.hello(this.#history()))
    }
  }

  // The socket went away mid-turn: nothing will finish this turn any more.
  #interruptTurn() {
    if (!this.#built) return
    for (const view of this.#views.values()) {
      if (view.status === protocol.STREAMING) view.setStatus(protocol.FAILED)
    }
    if (this.#awaitingEcho) this.#views.get(this.#awaitingEcho)?.setStatus(protocol.FAILED)
    if (this.#generating) this.#endTurn()
    this.#resyncOnIdle = false
  }

  #showError(frame) {
    const id = typeof frame.id === 'string' ? frame.id : null
    const code = typeof frame.code === 'string' ? frame.code : 'error'
    const text = typeof frame.message === 'string' && frame.message ? frame.message : code
    const alert = createAlert(code, text)
    const view = id ? this.#views.get(id) : null
    if (view) {
      let after = view.element
      while (after.nextElementSibling?.classList.contains('error')) after = after.nextElementSibling
      after.after(alert)
    } else {
      this.#log.insertBefore(alert, this.#pending)
    }
    // An error before the server took the submitted message (bad frame, too large, busy...)
    // means no reply and no `idle` will come for it. fn_error is followed by `idle`.
    if (this.#generating && this.#awaitingEcho && code !== 'fn_error') {
      this.#views.get(this.#awaitingEcho)?.setStatus(protocol.FAILED)
      this.#endTurn()
    }
    this.#emit('error', {code, message: text, id})
  }

  // -- state shown --------------------------------------------------------------------

  #conversationChanged() {
    this.#placeholder.hidden = this.#views.size > 0
  }

  #updateControls(connection = this.#connection) {
    if (!this.#built) return
    const state = connection ? connection.state : null
    const idle = connection?.idle ?? false
    const offline = connection !== null && state !== 'online' && !idle && !this.#waking
    const status = offline && (state === 'offline' || this.#dropped) ? TEXT.offline : ''
    if (this.#status.textContent !== status) this.#status.textContent = status
    // Reflected on the host so pages (and tests) can style or wait on it.
    if (state) {
      if (this.dataset.connection !== state) this.dataset.connection = state
    } else if (this.hasAttribute('data-connection')) {
      this.removeAttribute('data-connection')
    }
    const showStop = this.#generating && !this.#stopButton.classList.contains('absent')
    this.#stopButton.hidden = !showStop
    this.#sendButton.hidden = showStop
    this.#sendButton.disabled = offline || this.#generating
    this.#frame.toggleAttribute('data-generating', this.#generating)
  }

  #emit(name, detail, cancelable = false) {
    const event = new CustomEvent(`chat-bot-${name}`, {bubbles: true, composed: true, cancelable, detail})
    this.dispatchEvent(event)
    return event
  }

  // -- scrolling ----------------------------------------------------------------------

  #atEnd() {
    const log = this.#log
    return log.scrollHeight - log.scrollTop - log.clientHeight <= END_SLACK
  }

  #logScrolled() {
    const top = this.#log.scrollTop
    // Only the reader scrolls up; content growth and our own scrolling never do.
    if (this.#atEnd()) this.#following = true
    else if (top < this.#lastScrollTop - 1) this.#following = false
    this.#lastScrollTop = top
    this.#updateScrollButton()
  }

  // Shown when there is more below that the log will not scroll to by itself.
  #updateScrollButton() {
    const following = this.#following && this.#config.autoscroll !== false
    this.#scrollButton.hidden = following || this.#atEnd()
  }

  #contentChanged() {
    this.#updateControls()
    this.#scheduleScroll()
  }

  // Coalesce scrolling to one per animation frame, however many frames arrive.
  #scheduleScroll() {
    if (this.#scrollFrame || !this.#controller) return
    this.#scrollFrame = requestAnimationFrame(() => {
      this.#scrollFrame = 0
      if (this.#following && this.#config.autoscroll !== false) {
        this.#log.scrollTop = this.#log.scrollHeight
        this.#lastScrollTop = this.#log.scrollTop
      }
      this.#updateScrollButton()
    })
  }
}
