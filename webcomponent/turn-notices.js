// Where a turn stands and what fn says besides its reply: its place in the line, the time it
// has run and fn's progress (`status` frames), and fn's toasts (`toast` frames). What shows
// them (status-view.js) is a bundle of its own, loaded with the first turn or toast: a chat
// page opens without it (docs/performance.md).

import * as protocol from './protocol.js'

const MODES = ['full', 'minimal', 'hidden']

/**
 *     const notices = new TurnNotices(parts)
 *     notices.mode = config.show_progress     // "full" | "minimal" | "hidden"
 *     notices.turnStarted() / notices.turnEnded()
 *     notices.apply(frame)                    // a `status` or `toast` frame
 */
export class TurnNotices {
  #parts
  #mode = 'minimal'
  #view = null
  #loading = null
  #running = false
  strings = {} // texts in the page's language, by status-view.js's names (English: its own)

  constructor(parts) {
    this.#parts = parts
  }

  set mode(value) {
    this.#mode = MODES.includes(value) ? value : 'minimal'
    this.#view?.setMode(this.#mode)
  }

  /** A turn began: its time shows (unless show_progress is "hidden"). */
  turnStarted() {
    this.#running = true
    if (this.#mode !== 'hidden') this.#withView(view => this.#running && view.start())
  }

  turnEnded() {
    this.#running = false
    this.#view?.end()
  }

  /** Show a `status` or `toast` frame; false for other types. */
  apply(frame) {
    if (frame.type === protocol.TOAST) this.#withView(view => view.toast(frame))
    else if (frame.type !== protocol.STATUS) return false
    else if (this.#mode !== 'hidden') this.#withView(view => view.status(frame))
    return true
  }

  #withView(action) {
    if (this.#view) return action(this.#view)
    // #view is set once its stylesheet is in: actions waiting for it run first, in order.
    this.#loading ??= import('./status-view.js')
      .then(({StatusView}) => new StatusView(this.#parts, this.strings, this.#mode).ready)
      .then(view => (this.#view = view))
    this.#loading.then(action, () => {
      this.#loading = null // offline: this turn goes on without its status; the next one tries again
    })
  }
}
