// The element's server link: config.json, then a Connection (connection.js) to the socket
// named there, and the part of its state the user sees: a socket the server closed for
// idleness reopens when the user acts, and what the user does meanwhile waits for it.

import {Connection} from './connection.js'
import {emit} from './events.js'
import {CLOSE_RESTART} from './protocol.js'
import {setText, unmark} from '../i18n/strings.js'

/**
 * One element's link to a blueprint mounted at `src`, shown in `statusLine` and in the
 * element's `data-connection`. It feeds the element as a page would: config.json's options
 * go to `element.config`, server frames to `element.applyFrame()`; it emits
 * `chat-bot-connection` (`{state, idle}`, and `reason` when it was lost: 'restart' or
 * 'dropped'), which the conversation reads to say why a turn was cut off.
 *
 *     const socket = new ChatSocket(element, statusLine, {
 *       hello: () => frame,                     // the `hello` sent on every open
 *       stateChanged: status => ...,            // a status(): show it
 *       interrupted: final => ...,              // dropped (a reply the server runs on may be followed
 *                                               // on the next socket) or closed for good (final)
 *     })
 *     socket.open('/chat')
 */
export class ChatSocket {
  #element
  #statusLine
  #host
  #controller = null // one per socket (src), aborted by close()
  #connection = null
  #waking = false // reconnecting after an idle close because the user acted
  #held = null // an action of the user's (a retry, an edit...) waiting to be online
  #dropped = false

  constructor(element, statusLine, host) {
    this.#element = element
    this.#statusLine = statusLine
    this.#host = host
    // Nothing waits any more: another conversation is shown (a saved chat, a clear, new
    // messages: conversation.js says so), or the reader did something else (#hold).
    element.shadowRoot.addEventListener('unhold', () => (this.#held = null))
  }

  /** 'connecting', 'online', 'offline', 'refused' (this page's origin may not chat here), or null when closed. */
  get state() {
    return this.#connection ? this.#connection.state : null
  }

  /** False only while a socket is open but not online: nothing can be sent now. */
  get canSend() {
    return !this.#connection || this.#connection.state === 'online'
  }

  /**
   * What the controls show: `offline` disables sending (not while the socket is idle or
   * waking), `lost` shows the offline status line.
   */
  status(connection = this.#connection) {
    const state = connection ? connection.state : null
    const idle = connection?.idle ?? false
    const offline = connection !== null && state !== 'online' && !idle && !this.#waking
    return {state, offline, lost: offline && (state === 'offline' || this.#dropped)}
  }

  /** Show a `status()`: the status line while the socket is lost, the state on the element. */
  show({state, lost}) {
    const line = this.#statusLine
    const text = state === 'refused' ? 'refused' : lost ? 'offline' : null
    if (text === null) {
      if (line.hasAttribute('data-t')) unmark(line)
      if (line.textContent) line.textContent = ''
    } else if (line.getAttribute('data-t') !== text) {
      setText(line, text)
    }
    // Reflected on the element so pages (and tests) can style or wait on it.
    const element = this.#element
    if (state) {
      if (element.dataset.connection !== state) element.dataset.connection = state
    } else if (element.hasAttribute('data-connection')) {
      element.removeAttribute('data-connection')
    }
  }

  open(src) {
    this.#controller = new AbortController()
    const {signal} = this.#controller
    const base = src.replace(/\/+$/, '')
    const configURL = new URL(`${base}/config.json`, document.baseURI)
    const url = async () => {
      const response = await fetch(configURL, {signal, credentials: 'same-origin', headers: {Accept: 'application/json'}})
      // 401/403: the chat's access policy refused this reader: final, like a refused origin.
      if (!response.ok) throw Object.assign(new Error(`${configURL}: HTTP ${response.status}`), {refused: [401, 403].includes(response.status)})
      const config = await response.json()
      if (signal.aborted) throw signal.reason
      this.#element.config = config
      if (config.origin_allowed === false) throw Object.assign(new Error(`${location.origin} may not use this chat`), {refused: true})
      // The socket path is relative to config.json's origin: same-origin pages get
      // ws(s)://<this host>/..., a page embedding another origin's bot gets that origin.
      const socket = new URL(config.socket ?? `${base}/socket`, configURL)
      socket.protocol = socket.protocol === 'https:' ? 'wss:' : 'ws:'
      return socket.href
    }
    this.#connection = new Connection({
      url,
      hello: () => this.#host.hello(),
      onFrame: frame => this.#element.applyFrame(frame),
      onState: (state, connection) => this.#stateChanged(state, connection),
    })
    signal.addEventListener('abort', () => this.#connection?.destroy())
  }

  /** Close for good (until the next open): a reply still running will not end. */
  close() {
    this.#controller?.abort()
    this.#controller = null
    this.#connection = null
    this.#waking = this.#dropped = false
    this.#hold(null)
    this.#host.interrupted(true)
  }

  /** Send a frame; false when there is no socket or it is not online. */
  send(frame) {
    return this.#connection?.send(frame) ?? false
  }

  /** The user acted: reopen a socket the server closed for idleness. */
  wake() {
    if (this.#connection?.wake()) this.#waking = true
  }

  /**
   * The user sends while the socket is not online: wake it if idle. True when the message
   * must wait (false: send it now); the message box holds it and sends it once the
   * element is online (composer.js).
   */
  holdSubmit() {
    return !this.canSend && this.whenOnline(null)
  }

  /**
   * Run `action` (something the user did that sends a frame) now if it can be sent, or once
   * the socket is back: one closed for idleness wakes, a lost one is reconnecting. One thing
   * waits at a time, the last the reader did: a retry clicked twice runs once, a message sent
   * after a retry replaces it (and a retry clicked after a message, the message: it stays in
   * the box). False when it cannot run: this page may not chat here.
   */
  whenOnline(action) {
    const connection = this.#connection
    if (!connection || connection.state === 'online') {
      action()
      return true
    }
    if (connection.state === 'refused') return false
    if (connection.idle) this.wake()
    this.#hold(action)
    return true
  }

  // Hold `action` (null: a message, which the box holds) instead of what was held: an `unhold`
  // event drops that (the box's message, a retry's pressed look; the box holds its message again
  // right after).
  #hold(action) {
    this.#element.shadowRoot.dispatchEvent(new Event('unhold'))
    this.#held = action
  }

  // `connection` is passed in: its first state arrives while it is being constructed.
  #stateChanged(state, connection) {
    const detail = {state, idle: connection.idle}
    if (state === 'offline') {
      this.#waking = false
      if (!connection.idle) {
        this.#dropped = true
        // Why, for the turn it cut off: a worker that stops closes with 1012 (runtime/shutdown.py).
        detail.reason = connection.closeCode === CLOSE_RESTART ? 'restart' : 'dropped'
      }
      this.#host.interrupted(false)
    } else if (state === 'online') {
      this.#waking = false
      this.#dropped = false
    }
    this.#host.stateChanged(this.status(connection))
    // Online (the server's welcome): what waited goes, a held message from the box on this event.
    const held = state === 'online' && this.#held
    if (held) this.#hold(null)
    emit(this.#element, 'connection', detail)
    if (held) held()
  }
}
