// The WebSocket client of <chat-bot>: connect, say hello, reconnect.
//
// The browser holds the conversation (docs/protocol.md), so a reconnect needs nothing
// from the old connection: every open sends `hello` with the history the element shows
// now, and any server worker can carry on from there.

import {CLOSE_IDLE, CLOSE_RESTART, WELCOME, hello, parseFrame} from './protocol.js'

const FIRST_DELAY = 500
// Low, so that a chat is back within a second of its server: a failed try costs the server a
// refused handshake, and the jitter spreads the tries of clients dropped together.
const MAX_DELAY = 1_000
const RESTART_SPREAD = 300 // ms over which a stopping worker's chats come back
const CLOSE_ABNORMAL = 1006 // RFC 6455: closed without a close frame (the network went)

/**
 * How long to wait before reconnect attempt number `attempt` (0-based): 0.5 s doubling
 * to 1 s, each spread by ±25 % (at most 1 s) so that clients dropped together do not
 * return together.
 */
export function backoffDelay(attempt, random = Math.random) {
  const base = Math.min(MAX_DELAY, FIRST_DELAY * 2 ** Math.min(attempt, 16))
  return Math.round(Math.min(MAX_DELAY, base * (0.75 + random() * 0.5)))
}

/**
 * One logical connection to a chat socket, kept open across drops until `destroy()`.
 *
 *     const connection = new Connection({
 *       url: 'wss://example.com/chat/socket',   // or an async function returning it
 *       hello: () => frame,                      // the `hello` sent on every open (its history)
 *       onFrame: frame => ...,                   // every valid server frame
 *       onState: (state, connection) => ...,     // 'connecting' | 'online' (welcomed) | 'offline' | 'refused'
 *     })
 *     connection.send({type: 'stop'})
 *     connection.destroy()
 *
 * A close with code 4000 means the server closed a connection that had been idle: it
 * is not reopened until `wake()` (the element calls it when the user next acts). 1012
 * means its worker is stopping: it reopens at once (to another worker). `closeCode` says
 * which close it was. Besides the backoff timer, a dropped connection is tried again at
 * once when the browser goes online and when the page is shown or focused again (timers
 * of a page in the background are throttled). The browser going offline drops it at once.
 */
export class Connection {
  #url
  #resolvedURL = null
  #hello
  #onFrame
  #onState
  #socket = null
  #state = 'offline'
  #attempt = 0
  #timer = 0
  #idle = false
  #closeCode = null
  #destroyed = false
  #generation = 0 // tells a stale asynchronous open apart from the current one
  #listeners = new AbortController()

  constructor({url, hello: helloFrame = () => hello([]), onFrame = () => {}, onState = () => {}}) {
    this.#url = url
    this.#hello = helloFrame
    this.#onFrame = onFrame
    this.#onState = onState
    // Back online after the network came back, or the reader is back on the page: no need
    // to wait out the backoff.
    const {signal} = this.#listeners
    globalThis.addEventListener?.('online', () => this.reconnect(), {signal})
    globalThis.addEventListener?.('offline', () => this.#lost(), {signal})
    globalThis.addEventListener?.('focus', () => this.reconnect(), {signal})
    globalThis.document?.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && this.reconnect(), {signal})
    this.#open()
  }

  /** 'connecting', 'online' or 'offline'. */
  get state() {
    return this.#state
  }

  /** True while closed for idleness, waiting for `wake()`. */
  get idle() {
    return this.#idle
  }

  /** The code of the last close (CLOSE_RESTART: the server restarted), null before any. */
  get closeCode() {
    return this.#closeCode
  }

  /** Send a frame; false when the socket is not open (the frame is dropped). */
  send(frame) {
    if (this.#state !== 'online' || !this.#socket) return false
    this.#socket.send(JSON.stringify(frame))
    return true
  }

  /** The user acted: reopen a connection the server closed for idleness. True if it does. */
  wake() {
    if (!this.#idle || this.#destroyed) return false
    this.#idle = false
    this.#attempt = 0
    this.#open()
    return true
  }

  /** Try now instead of waiting for the backoff timer (no-op when online or idle). */
  reconnect() {
    if (this.#destroyed || this.#idle || this.#socket || this.#state !== 'offline') return
    this.#open()
  }

  /** Close for good: no more frames, states or reconnects. */
  destroy() {
    if (this.#destroyed) return
    this.#destroyed = true
    this.#generation++
    clearTimeout(this.#timer)
    this.#listeners.abort()
    const socket = this.#socket
    this.#socket = null
    if (socket) socket.close(1000)
  }

  async #open() {
    clearTimeout(this.#timer)
    const generation = ++this.#generation
    this.#setState('connecting')
    let socket
    try {
      const url = this.#resolvedURL ?? (typeof this.#url === 'function' ? await this.#url() : this.#url)
      if (generation !== this.#generation) return
      this.#resolvedURL = url
      socket = new WebSocket(url)
    } catch (error) {
      if (generation !== this.#generation) return
      // The server said this page may not connect (config.json's origin_allowed): final.
      if (error?.refused) this.#setState('refused')
      else this.#retry()
      return
    }
    this.#socket = socket
    socket.addEventListener('open', () => this.#socket === socket && socket.send(JSON.stringify(this.#hello())))
    socket.addEventListener('message', event => {
      if (this.#socket !== socket || typeof event.data !== 'string') return
      this.#attempt = 0 // the server talks to us: the next drop starts the backoff afresh
      const frame = parseFrame(event.data)
      if (frame) this.#onFrame(frame)
      // Online once the server has taken the hello, not when the socket opens: a worker that is
      // stopping opens sockets, then closes them (1012) before its welcome.
      if (frame?.type === WELCOME) this.#setState('online')
    })
    socket.addEventListener('close', event => {
      if (this.#socket !== socket) return
      this.#socket = null
      this.#closeCode = event.code
      if (event.code === CLOSE_IDLE) {
        this.#idle = true
        this.#setState('offline')
      } else if (event.code === CLOSE_RESTART && this.#attempt === 0) {
        // The worker is stopping (a deploy): another one takes the conversation now, not
        // after a backoff; a little spread keeps a worker's chats from arriving as one. Once:
        // a server stopping altogether answers the next try with 1012 too, then it backs off.
        this.#attempt++
        this.#retry(Math.round(Math.random() * RESTART_SPREAD))
      } else {
        this.#retry()
      }
    })
  }

  // The browser lost the network: its socket would hear of it only when TCP gives up, long
  // after, and meanwhile a reply would seem to stall. Dropped now, as by the network.
  #lost() {
    const socket = this.#socket
    if (!socket || this.#destroyed) return
    this.#socket = null // its own close event, whenever it comes, is a stale socket's
    this.#closeCode = CLOSE_ABNORMAL
    socket.close()
    this.#retry()
  }

  #retry(delay = backoffDelay(this.#attempt++)) {
    if (this.#destroyed) return
    this.#setState('offline')
    this.#timer = setTimeout(() => this.#open(), delay)
  }

  #setState(state) {
    if (this.#destroyed || state === this.#state) return
    this.#state = state
    this.#onState(state, this)
  }
}
