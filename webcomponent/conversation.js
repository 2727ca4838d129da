// The conversation: the messages on screen (one MessageView each, in the log) and the
// turn in progress, from the user's submit to the server's `idle`. It applies the server
// frames that change them; the element decides what else follows (controls, scrolling).

import {emit} from './events.js'
import {ACTION_TEXT, createTurnButtons, labelAction} from './message-actions.js'
import {createAlert} from './parts.js'
import * as protocol from './protocol.js'
import {MessageView, normalizeMessage} from './render.js'

/**
 * The messages of one element and the state of its turn. Events (`chat-bot-submit`,
 * `-message`, `-error`) are dispatched on `element`.
 *
 *     const conversation = new Conversation(element, parts, {
 *       send: frame => ...,                          // to the server, if there is one
 *       canSend: () => true,                         // false: submit() refuses
 *       shown: () => ...,                            // a new message or conversation: follow it
 *       turnEnded: () => ...,                        // generating is over
 *     })
 *     conversation.submit('Hello')
 *     conversation.apply(frame)                      // true when it showed something
 */
export class Conversation {
  #element
  #views = new Map()
  #log
  #pending
  #placeholder
  #host
  #generating = false
  #awaitingEcho = null // id of a submitted user message the server has not echoed yet
  #awaitingRetry = false // a retry was sent and nothing of its reply came yet
  #resyncOnIdle = false
  #thoughts = new Map() // metadata.id -> the latest view with it: where its children go
  #orphans = new Map() // a parent_id not shown yet -> the views waiting for it
  #latest = null // the last message: the only one whose preset replies show
  #avatars = {}
  #feedback = {options: null, user: false} // config.likeable's buttons, and for user messages too?
  #turnButtons = createTurnButtons() // retry and undo: one pair, under the last reply

  constructor(element, {log, pending, placeholder}, host) {
    this.#element = element
    this.#log = log
    this.#pending = pending
    this.#placeholder = placeholder
    this.#host = host
    this.#changed()
  }

  /** True from a submit (or a streaming `message`) until the `idle` frame. */
  get generating() {
    return this.#generating
  }

  /** Plain copies of the messages shown. */
  get messages() {
    return Array.from(this.#views.values(), view => view.toJSON())
  }

  /**
   * Show `list` instead of the conversation (and its alerts), and tell the server the new
   * history: it keeps the one it was told (after the running reply, whose end would
   * otherwise land in the new history).
   */
  replace(list, frame = null) {
    for (const view of this.#views.values()) view.element.remove()
    for (const alert of this.#log.querySelectorAll('.error')) alert.remove()
    this.#views.clear()
    this.#thoughts.clear()
    this.#orphans.clear()
    this.#latest = null
    this.#awaitingEcho = null
    // Built detached and added at once: one insertion into the live log, not one per message.
    const detached = document.createDocumentFragment()
    const log = this.#log
    this.#log = detached
    try {
      for (const item of Array.isArray(list) ? list : []) {
        const message = normalizeMessage(item, protocol.newMessageId)
        this.#views.get(message.id)?.element.remove()
        this.#insert(new MessageView(message))
      }
    } finally {
      this.#log = log
    }
    log.insertBefore(detached, this.#pending)
    this.#pending.hidden = true
    this.#changed()
    this.#host.shown()
    // `frame` (e.g. `clear`) tells the server instead of a new `hello`.
    if (frame) this.#host.send(frame)
    else if (this.#generating) this.#resyncOnIdle = true
    else this.#host.send(protocol.hello(this.history()))
  }

  /** Label retry and undo as config says (`retry_btn`, `undo_btn`: true for the icon, or a text). */
  labelTurnButtons(retry, undo) {
    const [retryButton, undoButton] = this.#turnButtons
    labelAction(retryButton, retry, ACTION_TEXT.retry, 'retry')
    labelAction(undoButton, undo, ACTION_TEXT.undo, 'undo')
  }

  /** Offer feedback buttons: `options` (config.feedback_options when likeable) or null; `user`: on user messages too. */
  setFeedback(options, user) {
    this.#feedback = {options: options?.length ? options : null, user}
    for (const view of this.#views.values()) this.#offerFeedback(view)
  }

  /** The reader gave `value` (or took it back: null) on the message `element`. */
  feedback(element, value) {
    const view = this.#views.get(element?.dataset.id)
    if (!view) return
    const event = emit(this.#element, 'like', {id: view.id, value, message: view.toJSON()}, true)
    if (event.defaultPrevented) return
    view.setFeedback(value)
    this.#host.send(protocol.like(view.id, value))
  }

  /** Generate the last reply again. False when it cannot be now (generating, offline, nothing to retry). */
  retry() {
    if (this.#generating || !this.#host.canSend() || !this.#lastUserView()) return false
    if (emit(this.#element, 'retry', {}, true).defaultPrevented) return false
    this.#generating = true
    this.#awaitingRetry = true
    this.#pending.hidden = false
    this.#host.send(protocol.retry())
    this.#host.shown()
    return true
  }

  /** Take the last exchange back; returns the user's text (for the message box), or null. */
  undo() {
    const last = this.#lastUserView()
    if (this.#generating || !this.#host.canSend() || !last) return null
    if (emit(this.#element, 'undo', {id: last.id, text: last.content}, true).defaultPrevented) return null
    this.#host.send(protocol.undo()) // the server answers with `remove` frames
    return typeof last.content === 'string' ? last.content : ''
  }

  /** The reader copied the message `element`. */
  copied(element) {
    const view = this.#views.get(element?.dataset.id)
    if (!view) return
    emit(this.#element, 'copy', {id: view.id, message: view.toJSON()})
    this.#host.send(protocol.copy(view.id))
  }

  #lastUserView() {
    const views = [...this.#views.values()]
    for (let i = views.length - 1; i >= 0; i--) if (views[i].role === protocol.USER) return views[i]
    return null
  }

  #offerFeedback(view) {
    const {options, user} = this.#feedback
    const offered = view.role === protocol.ASSISTANT || (user && view.role === protocol.USER)
    view.offerFeedback(offered && !view.element.classList.contains('thought') ? options : null)
  }

  // What `hello` carries: everything shown, except assistant messages with no text yet and
  // user messages the server never took (rejected, or cut off before its echo): a message
  // rejected as too large must not come back in every hello and be rejected again.
  history() {
    const history = []
    for (const view of this.#views.values()) {
      if (![protocol.USER, protocol.ASSISTANT, protocol.SYSTEM].includes(view.role)) continue
      if (view.role === protocol.ASSISTANT && !view.content && !view.toHistory().metadata) continue
      if (view.role === protocol.USER && view.status === protocol.FAILED) continue
      history.push(view.toHistory())
    }
    return history
  }

  /** The id of the message being streamed, or null. */
  streamingId() {
    for (const view of this.#views.values()) if (view.status === protocol.STREAMING) return view.id
    return null
  }

  /**
   * Show the user's `text`, start a turn and send it (unless a `chat-bot-submit` listener
   * prevents it: that page sends the text its own way). The new message's id, or null when
   * it cannot be sent now (empty, generating, the host cannot send).
   */
  submit(text, optionOf = null) {
    if (!text.trim() || this.#generating || !this.#host.canSend()) return null
    const id = protocol.newMessageId()
    this.#insert(new MessageView({id, role: protocol.USER, content: text, status: protocol.COMPLETE}))
    this.#awaitingEcho = id
    this.#generating = true
    this.#pending.hidden = false
    this.#changed()
    this.#host.shown()
    const event = emit(this.#element, 'submit', {id, text}, true)
    if (!event.defaultPrevented) this.#host.send(protocol.submit(id, text, optionOf))
    return id
  }

  /** Apply a server frame; false for `welcome` and types this version does not know. */
  apply(frame) {
    switch (frame.type) {
      case protocol.MESSAGE:
        this.#showMessage(frame.message)
        return true
      case protocol.PATCH: {
        const view = this.#views.get(frame.id)
        view?.patch(frame)
        if (view && frame.metadata) this.#place(view) // a thought may have found its parent
        return true
      }
      case protocol.DONE:
        this.#finishMessage(frame)
        return true
      case protocol.REMOVE:
        this.#removeMessage(frame.id)
        return true
      case protocol.IDLE:
        this.#endTurn()
        return true
      case protocol.ERROR:
        this.#showError(frame)
        return true
      default:
        return false
    }
  }

  // The socket went away mid-turn: nothing will finish this turn any more.
  interrupt() {
    for (const view of this.#views.values()) {
      if (view.status === protocol.STREAMING) view.setStatus(protocol.FAILED)
    }
    if (this.#awaitingEcho) this.#views.get(this.#awaitingEcho)?.setStatus(protocol.FAILED)
    if (this.#generating) this.#endTurn()
    this.#resyncOnIdle = false
  }

  /** Show `avatars` (`{user, assistant}`: image URLs or null) beside every message. */
  setAvatars(avatars) {
    this.#avatars = avatars
    for (const view of this.#views.values()) view.setAvatar(avatars[view.role] ?? null)
  }

  /** The text a message's copy button copies (`element`: its `.message`). */
  copyTextOf(element) {
    return this.#views.get(element?.dataset.id)?.copyText ?? ''
  }

  /** The conversation as text, `role: content` per message (system messages left out). */
  transcript() {
    const lines = []
    for (const view of this.#views.values()) {
      if (view.role === protocol.SYSTEM || view.element.hidden) continue
      lines.push(`${view.role}: ${view.copyText}`)
    }
    return lines.join('\n\n')
  }

  #insert(view) {
    this.#views.set(view.id, view)
    view.setAvatar(this.#avatars[view.role] ?? null)
    if (this.#feedback.options) this.#offerFeedback(view)
    this.#place(view)
    if (view.role !== protocol.SYSTEM) this.#setLatest(view) // a hidden message hides no options
  }

  // A message with a parent_id goes inside the thought whose metadata.id it names (to any
  // depth); any other into the log. A message continuing its author's run is marked, so
  // that grouping can show one avatar for the run.
  #place(view) {
    const id = view.thoughtId
    if (id !== null) this.#thoughts.set(id, view)
    const parentId = view.parentId
    const parent = parentId !== null ? this.#thoughts.get(parentId) : null
    const container = parent && parent !== view && !view.element.contains(parent.element) ? parent.childrenElement : null
    if (parentId !== null && !container) {
      // Its parent has not come yet (or is no thought): it waits in the log, then moves in.
      if (!this.#orphans.has(parentId)) this.#orphans.set(parentId, new Set())
      this.#orphans.get(parentId).add(view)
    }
    const waiting = id !== null && view.childrenElement ? this.#orphans.get(id) : null
    if (waiting) this.#orphans.delete(id)
    if (container) {
      if (view.element.parentNode !== container) container.append(view.element)
    } else if (view.element.parentNode !== this.#log) {
      // Before the pending dots, the log's last child (replace() builds in a fragment first).
      this.#log.insertBefore(view.element, this.#pending.parentNode === this.#log ? this.#pending : null)
    }
    const before = view.element.previousElementSibling
    view.element.classList.toggle('continued', before?.dataset.role === view.element.dataset.role && !before.hidden)
    // Thoughts that named this one as their parent before it came move into it now.
    for (const child of waiting ?? []) if (this.#views.get(child.id) === child) this.#place(child)
  }

  #setLatest(view) {
    if (this.#latest === view) return
    this.#latest?.element.removeAttribute('data-latest')
    this.#latest = view
    view.element.setAttribute('data-latest', '')
    // Retry and undo act on the last exchange: their one pair of buttons follows the last reply.
    if (view.role === protocol.ASSISTANT) view.actions.append(...this.#turnButtons)
  }

  #showMessage(message) {
    if (!message || typeof message !== 'object' || !protocol.ID_PATTERN.test(message.id ?? '')) return
    let view = this.#views.get(message.id)
    if (view) {
      view.update(message)
      this.#place(view)
    } else {
      this.#insert((view = new MessageView(message)))
    }
    if (message.id === this.#awaitingEcho) this.#awaitingEcho = null
    if (message.role !== protocol.USER) {
      this.#awaitingEcho = null
      this.#awaitingRetry = false
      this.#pending.hidden = true
    }
    if (view.status === protocol.STREAMING) this.#generating = true
    else emit(this.#element, 'message', {message: view.toJSON()})
    this.#changed()
  }

  // fn dropped a message from its list: it goes, and the thoughts nested in it move out.
  #removeMessage(id) {
    const view = this.#views.get(id)
    if (!view) return
    const children = view.childrenElement
    if (children) view.element.after(...children.childNodes)
    view.element.remove()
    this.#views.delete(id)
    if (view.thoughtId !== null && this.#thoughts.get(view.thoughtId) === view) this.#thoughts.delete(view.thoughtId)
    if (this.#latest === view) {
      this.#latest = null
      const last = [...this.#views.values()].pop()
      if (last) this.#setLatest(last)
    }
    this.#changed()
  }

  #finishMessage(frame) {
    const view = this.#views.get(frame.id)
    if (!view) return
    view.done(frame)
    if (frame.metadata) this.#place(view)
    emit(this.#element, 'message', {message: view.toJSON()})
  }

  #endTurn() {
    this.#generating = false
    this.#awaitingEcho = null
    this.#awaitingRetry = false
    this.#pending.hidden = true
    this.#host.turnEnded()
    if (this.#resyncOnIdle) {
      this.#resyncOnIdle = false
      this.#host.send(protocol.hello(this.history()))
    }
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
    if (this.#generating && (this.#awaitingEcho || this.#awaitingRetry) && code !== 'fn_error') {
      if (this.#awaitingEcho) this.#views.get(this.#awaitingEcho)?.setStatus(protocol.FAILED)
      this.#endTurn()
    }
    emit(this.#element, 'error', {code, message: text, id})
  }

  // The placeholder shows only while the conversation is empty.
  #changed() {
    this.#placeholder.hidden = this.#views.size > 0
  }
}
