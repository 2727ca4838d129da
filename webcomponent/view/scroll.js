// Autoscroll of the conversation log: follow new content while the reader is at the end,
// stop following once they scroll up, and offer "Scroll to latest" to come back.

// How close to the end of the log (in CSS pixels) counts as "at the end".
const END_SLACK = 24

/**
 * Scrolling of one log and its "Scroll to latest" button.
 *
 *     const scroller = new LogScroller(log, button, () => config.autoscroll !== false)
 *     scroller.connect(signal)  // listens until the signal aborts
 *     scroller.follow()         // new content of the user's own: follow it again
 *     scroller.schedule()       // content changed: scroll on the next frame
 */
export class LogScroller {
  #log
  #button
  #enabled
  #signal = null // of the element's current connection; no scrolling while disconnected
  #following = true
  #lastScrollTop = 0
  #frame = 0

  constructor(log, button, enabled) {
    this.#log = log
    this.#button = button
    this.#enabled = enabled
  }

  /** Listen to the reader and to size changes until `signal` aborts. */
  connect(signal) {
    this.#signal = signal
    this.#button.addEventListener('click', () => this.scrollToLatest(), {signal})
    this.#log.addEventListener('scroll', () => this.#scrolled(), {signal, passive: true})
    // Images in messages change heights after they load; load does not bubble, so capture.
    this.#log.addEventListener('load', () => this.schedule(), {signal, capture: true})
    const resize = new ResizeObserver(() => this.schedule())
    resize.observe(this.#log)
    signal.addEventListener('abort', () => {
      resize.disconnect()
      cancelAnimationFrame(this.#frame)
      this.#frame = 0
    })
  }

  /** Follow new content again (the user sent a message, the conversation was replaced). */
  follow() {
    this.#following = true
  }

  /** Scroll to the newest message and follow new content again. */
  scrollToLatest() {
    this.#following = true
    const smooth = !matchMedia('(prefers-reduced-motion: reduce)').matches
    this.#log.scrollTo({top: this.#log.scrollHeight, behavior: smooth ? 'smooth' : 'instant'})
    this.#button.hidden = true
  }

  // Coalesce scrolling to one per animation frame, however many frames arrive.
  schedule() {
    if (this.#frame || !this.#signal || this.#signal.aborted) return
    this.#frame = requestAnimationFrame(() => {
      this.#frame = 0
      if (this.#following && this.#enabled()) {
        this.#log.scrollTop = this.#log.scrollHeight
        this.#lastScrollTop = this.#log.scrollTop
      }
      this.#updateButton()
    })
  }

  #atEnd() {
    const log = this.#log
    return log.scrollHeight - log.scrollTop - log.clientHeight <= END_SLACK
  }

  #scrolled() {
    const top = this.#log.scrollTop
    // Only the reader scrolls up; content growth and our own scrolling never do.
    if (this.#atEnd()) this.#following = true
    else if (top < this.#lastScrollTop - 1) this.#following = false
    this.#lastScrollTop = top
    this.#updateButton()
  }

  // Shown when there is more below that the log will not scroll to by itself.
  #updateButton() {
    this.#button.hidden = (this.#following && this.#enabled()) || this.#atEnd()
  }
}
