// Where a turn stands and what fn says besides its reply: its place in the line, the time it
// has run and fn's progress (`status` frames), and fn's toasts (`toast` frames). What shows
// them (status-view.js) is a bundle of its own, loaded with the first turn or toast: a chat
// page opens without it (docs/performance.md).

import {Lazy} from '../core/lazy.js'
import * as protocol from '../core/protocol.js'

const MODES = ['full', 'minimal', 'hidden']

/**
 *     const notices = new TurnNotices(parts, locale)
 *     notices.mode = config.show_progress     // "full" | "minimal" | "hidden"
 *     notices.generating = true / false    // a turn began / ended
 *     notices.apply(frame)                    // a `status` or `toast` frame
 */
export class TurnNotices {
  #mode = 'minimal'
  #view
  #running = false
  /** `locale`: the element's language (locale.js), for the texts it shows. */
  constructor(parts, locale) {
    // Its stylesheet in first: nothing shows unstyled.
    this.#view = new Lazy(() => import('./status-view.js').then(({StatusView}) => new StatusView(parts, locale, this.#mode).ready))
  }

  set mode(value) {
    this.#mode = MODES.includes(value) ? value : 'minimal'
    this.#view.value?.setMode(this.#mode)
  }

  /** A turn began (its time shows, unless show_progress is "hidden") or ended. */
  set generating(on) {
    if (on === this.#running) return
    this.#running = on
    if (!on) this.#view.value?.end()
    else if (this.#mode !== 'hidden') this.#view.use(view => this.#running && view.start())
  }

  /** Show a `status` or `toast` frame; false for other types. */
  apply(frame) {
    if (frame.type === protocol.TOAST) this.#view.use(view => view.toast(frame))
    else if (frame.type !== protocol.STATUS) return false
    else if (this.#mode !== 'hidden') this.#view.use(view => view.status(frame))
    return true
  }
}
