// The conversation: the messages on screen (message-list.js), the edits of them
// (edits.js), and the turn in progress, from the user's submit to the server's `idle`. It
// applies the server frames that change them; the element decides what else follows
// (controls, scrolling).

import {LazyEdits} from '../actions/lazy-edits.js'
import {emit} from '../core/events.js'
import {MessageList} from './message-list.js'
import * as protocol from '../core/protocol.js'
import {MessageView} from './render.js'
import {Turn} from './turn.js'
import {ConversationKeys} from './conversation-keys.js'

/**
 * The messages of one element and the state of its turn. Events (`chat-bot-submit`,
 * `-message`, `-error`, `-like`, `-retry`, `-undo`, `-copy`, `-select`, `-edit`,
 * `-version`) are dispatched on `element`.
 *
 *     const conversation = new Conversation(element, parts, {
 *       send: frame => ...,                          // to the server, if there is one
 *       canSend: () => true,                         // false: submit() refuses
 *       online: action => ...,                       // run it once sending is possible (wakes an idle socket)
 *       focusInput: () => ...,                       // focus the message box
 *       refused: (text, why) => ...,                 // the server refused a message sent from the box
 *       inputs: () => [...] | null,                  // the additional inputs' values
 *       shown: () => ...,                            // a new message or conversation: follow it
 *       turnEnded: () => ...,                        // generating is over
 *     })
 *     conversation.submit('Hello')
 *     conversation.apply(frame)                      // true when it showed something
 */
export class Conversation {
  /** The messages on screen (MessageList): avatars, feedback, edit and turn buttons are set there. */
  list
  /** Editing messages and switching versions (Edits). */
  edits
  /** The turn the server runs, followed by its frames' `seq` (Turn): `hello` names it. */
  turn
  /** Its id, upload key and live key, from the server's `welcome`s (ConversationKeys). */
  keys = new ConversationKeys()
  #element
  #log
  #pending
  #host
  #generating = false
  #awaitingEcho = null // id of a submitted user message the server has not echoed yet
  #awaitingRetry = false // a retry was sent and nothing of its reply came yet
  #resyncOnIdle = false

  constructor(element, {log, pending, placeholder}, host) {
    this.#element = element
    this.#log = log
    this.#pending = pending
    this.#host = host
    this.list = new MessageList({log, pending, placeholder})
    this.turn = new Turn(element, this.list)
    this.edits = new LazyEdits(Edits => new Edits(element, this.list, {
      online: action => host.online(action),
      generating: () => this.#generating,
      send: frame => host.send(frame),
      hello: () => this.hello(),
      inputs: () => this.#inputs(),
      expectEcho: id => this.#startTurn(id),
      changed: () => host.shown(),
      done: () => host.focusInput(),
    }))
    // A retry held no longer waits (socket.js).
    element.shadowRoot.addEventListener('unhold', () => this.list.holdRetry(false))
  }

  /** True from a submit (or a streaming `message`) until the `idle` frame. */
  get generating() {
    return this.#generating
  }

  /** Plain copies of the messages shown; a turn's first message carries its other `versions`. */
  get messages() {
    return Array.from(this.list.values(), view => view.toJSON())
  }

  /**
   * Show `list` instead of the conversation (and its alerts), and tell the server the new
   * history: it keeps the one it was told (after the running reply, whose end would
   * otherwise land in the new history). `frame` (e.g. `clear`) tells the server instead of
   * a new `hello`; false tells it nothing (the server sent this conversation). `other`: it is
   * another conversation (by default when there was one, or it is cleared), so what the
   * reader did in this one and waits for the socket (a message, a retry) will not go.
   */
  replace(list, frame = null, other = frame !== false && (frame || this.list.size)) {
    if (other) this.#log.dispatchEvent(new Event('unhold', {bubbles: true})) // socket.js, composer.js
    // A turn followed offline is left: what it missed would land in the other conversation.
    if (other && this.turn.running && !this.#host.canSend()) this.interrupt(true)
    this.edits.close()
    this.#awaitingEcho = null
    this.list.rebuild(() => {
      for (const item of Array.isArray(list) ? list : []) this.list.insertMessage(item)
    })
    this.#pending.hidden = true
    this.#host.shown()
    if (frame === false) return
    if (frame) this.#host.send(frame)
    else if (this.#generating) this.#resyncOnIdle = true
    else this.#host.send(this.hello())
  }

  /** The `hello` frame for this conversation: what it shows, its id from the server, the turn it follows. */
  hello() {
    const {session, uploadKey, live} = this.keys
    return protocol.hello(this.list.history(), session, uploadKey, this.turn.toJSON(), live)
  }

  /** Follow the turn a reload kept (`{id, key, seq, tails}`): generating until a `welcome` says if it goes on. */
  follow(saved) {
    if (!this.turn.begin(saved)) return
    this.list.resume(saved.tails)
    this.#generating = true
    this.#pending.hidden = [...this.list.values()].at(-1)?.role !== protocol.USER // no reply yet
  }

  /** The reader gave `value` (or took it back: null) on the message `element`. */
  feedback(element, value) {
    const view = this.list.viewOf(element)
    if (!view) return
    const event = emit(this.#element, 'like', {id: view.id, value, message: view.toJSON()}, true)
    if (event.defaultPrevented) return
    view.setFeedback(value)
    this.#host.send(protocol.like(view.id, value))
  }

  /**
   * Generate the last reply again, now or once the socket is back (a cut-off turn's Retry).
   * False when it cannot be (generating, nothing to retry).
   */
  retry() {
    if (this.#generating || this.edits.pending || !this.list.lastUserView()) return false
    const run = () => {
      const last = this.list.lastUserView()
      if (this.#generating || this.edits.pending || !last) return // the conversation moved on meanwhile
      if (last.status === protocol.FAILED) {
        // A message the server never took is sent again: its turn starts anew.
        this.list.removeFrom(last)
        this.submit(typeof last.content === 'string' ? last.content : '')
        return
      }
      if (emit(this.#element, 'retry', {}, true).defaultPrevented) return
      this.edits.close() // an edit not sent is given up: the conversation moves on
      this.list.clearAfter(last)
      this.#generating = true
      this.#awaitingRetry = true
      this.#pending.hidden = false
      this.#host.send(protocol.retry(this.#inputs()))
      this.#host.shown()
    }
    // Held (offline), it shows pressed until it runs, or something else the reader did replaces it.
    const ok = this.#host.online(run)
    if (ok && !this.#host.canSend()) this.list.holdRetry(true)
    return ok
  }

  /**
   * Take the last exchange back; returns the user's text (for the message box), or null.
   * Offline it goes from the screen only: the server learns the conversation without it from
   * the next `hello` (its undo listeners do not hear of it).
   */
  undo() {
    const last = this.list.lastUserView()
    if (this.#generating || this.edits.pending || !last) return null
    if (emit(this.#element, 'undo', {id: last.id, text: last.content}, true).defaultPrevented) return null
    this.edits.close()
    if (last.status === protocol.FAILED || !this.#host.canSend()) {
      this.list.removeFrom(last) // a message the server never took, or offline
    } else {
      this.list.clearAfter(last)
      this.#host.send(protocol.undo()) // the server answers with `remove` frames
    }
    return typeof last.content === 'string' ? last.content : ''
  }

  /** The reader copied the message `element`. */
  copied(element) {
    const view = this.list.viewOf(element)
    if (!view) return
    emit(this.#element, 'copy', {id: view.id, message: view.toJSON()})
    this.#host.send(protocol.copy(view.id))
  }

  /** The reader clicked (or pressed Enter on) the message `element`: config.selectable. */
  selected(element) {
    const view = this.list.viewOf(element)
    // Not one still streaming, nor one the server never took: it knows neither.
    if (!view || view.status === protocol.STREAMING || (view.role === protocol.USER && view.status === protocol.FAILED)) return
    emit(this.#element, 'select', {id: view.id, message: view.toJSON()})
    this.#host.send(protocol.select(view.id))
  }

  /**
   * Show the user's `text`, start a turn and send it (unless a `chat-bot-submit` listener
   * prevents it: that page sends the text its own way). `files`: the uploads it carries
   * (`{id, name, size, mime_type}`), which the server shows before the text;
   * `exampleFiles`: the example sent has files of its own, which the server adds. The new
   * message's id, or null when it cannot be sent now (empty, generating, the host cannot send).
   */
  submit(text, optionOf = null, example = null, files = [], exampleFiles = false) {
    const withFiles = files.length > 0 || exampleFiles
    if ((!text.trim() && !withFiles) || this.#generating || this.edits.pending || !this.#host.canSend()) return null
    this.edits.close() // an edit not sent is given up for the new message
    const id = protocol.newMessageId()
    // With files the server's echo comes at once, in the history's order (files, then text).
    if (!withFiles) this.list.insert(new MessageView({id, role: protocol.USER, content: text, status: protocol.COMPLETE}))
    this.list.changed()
    this.#startTurn(id)
    const inputs = this.#inputs()
    const detail = {id, text, ...(inputs ? {inputs} : {}), ...(files.length ? {files} : {})}
    const event = emit(this.#element, 'submit', detail, true)
    if (!event.defaultPrevented) {
      this.#host.send(protocol.submit(id, text, optionOf, inputs, example, files.map(file => file.id)))
    }
    return id
  }

  /** Apply a server frame; false when it showed nothing (`turn`, most `welcome`s, unknown types). */
  apply(frame) {
    switch (frame.type) {
      case protocol.MESSAGE:
        this.#showMessage(frame.message)
        return true
      case protocol.PATCH: {
        const view = this.list.get(frame.id)
        view?.patch(frame)
        if (view && frame.metadata) this.list.place(view) // a thought may have found its parent
        return true
      }
      case protocol.DONE:
        this.#finishMessage(frame)
        return true
      case protocol.REMOVE:
        this.list.remove(frame.id)
        return true
      case protocol.FEEDBACK: // given (or taken back) in another tab of the conversation
        this.list.get(frame.id)?.setFeedback(typeof frame.value === 'string' ? frame.value : null)
        return true
      case protocol.CONVERSATION: // a listener of the server's said what the conversation is now
        this.replace(Array.isArray(frame.messages) ? frame.messages : [], false)
        return true
      case protocol.IDLE:
        this.#endTurn()
        return true
      case protocol.ERROR:
        this.#showError(frame)
        return true
      case protocol.TURN: // what a new socket names to follow this turn on
        this.turn.begin(frame)
        if (this.#generating) return false
        // A turn another tab of the conversation started: this one shows its reply as it comes.
        this.#generating = true
        this.#pending.hidden = false
        this.#host.shown()
        return true
      case protocol.WELCOME: {
        this.keys.welcomed(frame)
        const cut = this.turn.welcomed(frame) // why the server cannot follow the turn on, if it cannot
        if (cut) this.interrupt(true, cut)
        return Boolean(cut)
      }
      default:
        return false
    }
  }

  /**
   * The socket went away mid-turn. A turn the server runs goes on, generating: the next `welcome`
   * says whether the server follows it on. `final`: nothing will (the socket closed for good, the
   * server cannot, the reader left): the turn is cut off; the log says why (`reason`), offers Retry.
   */
  interrupt(final = false, reason = 'interrupted') {
    if (!final && this.turn.running) return
    const cut = this.list.failStreaming() || this.#generating || this.#awaitingEcho !== null
    this.list.fail(this.#awaitingEcho)
    this.edits.refused()
    this.turn.end()
    if (this.#generating) this.#endTurn()
    this.#resyncOnIdle = false
    if (cut) this.turn.cutOff(this.list.sayCutOff(reason)) // the socket's next event may say why better
  }

  #inputs() {
    return this.#host.inputs?.() ?? null
  }

  // A turn starts: the reply to the user message `id` (once the server echoes it) follows.
  #startTurn(id) {
    this.#awaitingEcho = id
    this.#generating = true
    this.#pending.hidden = false
    this.#host.shown()
  }

  #showMessage(message) {
    if (!message || typeof message !== 'object' || !protocol.ID_PATTERN.test(message.id ?? '')) return
    // The answer to an edit of a reply (in place) is no part of a turn.
    if (this.edits.answered(message) && message.role !== protocol.USER) {
      const edited = this.list.get(message.id)
      edited?.update(message)
      if (edited) emit(this.#element, 'message', {message: edited.toJSON()})
      return
    }
    let view = this.list.get(message.id)
    if (view) {
      view.update(message)
      this.list.place(view)
    } else {
      view = this.list.insert(new MessageView(message))
    }
    if (message.id === this.#awaitingEcho) this.#awaitingEcho = null
    if (message.role !== protocol.USER) {
      this.#awaitingEcho = null
      this.#awaitingRetry = false
      this.#pending.hidden = true
    }
    if (view.status === protocol.STREAMING) this.#generating = true
    else emit(this.#element, 'message', {message: view.toJSON()})
    this.list.changed()
  }

  #finishMessage(frame) {
    const view = this.list.get(frame.id)
    if (!view) return
    view.done(frame)
    if (frame.metadata) this.list.place(view)
    this.list.refresh(view) // a finished reply may be edited (editable="all")
    emit(this.#element, 'message', {message: view.toJSON()})
  }

  #endTurn() {
    this.turn.end()
    this.#generating = false
    this.#awaitingEcho = null
    this.#awaitingRetry = false
    this.#pending.hidden = true
    this.#host.turnEnded()
    if (this.#resyncOnIdle) {
      this.#resyncOnIdle = false
      this.#host.send(this.hello())
    }
  }

  #showError(frame) {
    const id = typeof frame.id === 'string' ? frame.id : null
    const code = typeof frame.code === 'string' ? frame.code : 'error'
    const text = typeof frame.message === 'string' && frame.message ? frame.message : code
    emit(this.#element, 'error', {code, message: text, id})
    if (protocol.REFUSALS.includes(code) && this.#generating && this.#awaitingEcho && !this.edits.pending) {
      // The server refused the message just sent: it goes back in the box, with the reason
      // under it, rather than stay in the log as something said.
      const refused = this.list.get(this.#awaitingEcho)
      if (refused) this.list.removeViews([refused])
      this.#endTurn()
      this.#host.refused(typeof refused?.content === 'string' ? refused.content : '', text)
      return
    }
    if (code === 'interrupted') {
      // The server running the turn died: its reply is cut off as by a lost socket (`idle` follows).
      this.list.failStreaming()
      this.list.sayCutOff(code)
    } else {
      this.list.sayError(code, text, id)
    }
    // A refusal before the server took the submitted message (bad frame, too large, busy...)
    // means no reply and no `idle` will come for it. A refused edit leaves its text in the
    // editor and the conversation as it was.
    if (!protocol.REFUSALS.includes(code)) {
      // Not an answer to what waits (fn_error is followed by `idle`; a listener's error by nothing).
      if (code === 'fn_error') this.list.offerTurnButtons() // under the question when no reply came
    } else if (this.edits.refused()) {
      if (this.#generating && this.#awaitingEcho) this.#endTurn()
    } else if (this.#generating && (this.#awaitingEcho || this.#awaitingRetry)) {
      this.list.fail(this.#awaitingEcho)
      this.#endTurn()
    }
  }
}
