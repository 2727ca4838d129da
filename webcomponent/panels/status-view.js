// What turn-notices.js shows: a strip above the message box with the turn's place in the line,
// the time it has run and fn's progress, and fn's toasts under it, between the conversation and
// the message box: they take room from the log rather than cover its latest messages.
// Loaded on first use by turn-notices.js, with its own stylesheet (status.css): a chat page
// opens without either. It imports nothing (web/bundle.py's rule for lazy modules: only modules
// without state); its texts come from the element's locale (locale.js).

// Its texts in English (strings.js's rule: the element's locale translates them).
export const STATUS_TEXT = Object.freeze({
  queued: 'Waiting in line: {position} of {size}',
  eta: 'about {seconds} s',
  seconds: '{seconds} s',
  steps: '{index} of {length} {unit}',
  dismiss: 'Dismiss',
  notices: 'Notices',
})

const TICK_MS = 100 // the clock shows tenths of a second
const MAX_TOASTS = 5 // more at once push the oldest out

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

/**
 *     const view = new StatusView(parts, locale, 'minimal')
 *     await view.ready              // its stylesheet has loaded
 *     view.start()                  // a turn began: the clock runs
 *     view.status(frame)            // queued / running, with fn's progress
 *     view.toast(frame)
 *     view.end()                    // the turn is over: the strip goes
 */
export class StatusView {
  #locale
  #text
  #strip
  #label
  #clock
  #bar
  #announce
  #toasts
  #timer = 0
  #since = 0
  #position = 0

  constructor(parts, locale, mode) {
    this.#locale = locale
    locale.learn(STATUS_TEXT)
    this.#text = (name, values) => locale.t(name, values)
    // Its styles come with it; nothing shows before they have loaded (or failed to).
    const sheet = element('link', {rel: 'stylesheet', href: new URL('./status.css', import.meta.url).href})
    this.ready = new Promise(resolve => {
      sheet.addEventListener('load', () => resolve(this), {once: true})
      sheet.addEventListener('error', () => resolve(this), {once: true})
    })
    parts.frame.getRootNode().append(sheet)
    this.#label = element('span', {class: 'turn-label'})
    this.#clock = element('span', {class: 'turn-clock', 'aria-hidden': 'true'})
    this.#bar = element('progress', {class: 'turn-bar', max: '1', hidden: ''})
    // Read out: the place in the line when it changes, not every tick or percent.
    this.#announce = element('span', {class: 'visually-hidden', role: 'status'})
    this.#strip = element('div', {class: 'turn-status', part: 'progress', hidden: ''}, [
      element('span', {class: 'thought-spinner turn-spinner', 'aria-hidden': 'true'}),
      this.#label,
      this.#clock,
      this.#bar,
      this.#announce,
    ])
    parts.frame.insertBefore(this.#strip, parts.inputsPanel)
    // data-t-*: the names of its texts, which locale.js keeps in the element's language.
    this.#toasts = element('div', {class: 'toasts', part: 'toasts', role: 'region', 'data-t-label': 'notices', 'aria-label': this.#text('notices')})
    parts.frame.insertBefore(this.#toasts, parts.inputsPanel)
    this.setMode(mode)
  }

  setMode(mode) {
    this.#strip.dataset.mode = mode
    if (mode === 'hidden') this.end()
  }

  start() {
    this.#show('running')
    this.#since = performance.now()
    this.#label.textContent = ''
    this.#bar.hidden = true
    this.#tick()
  }

  status(frame) {
    if (this.#strip.hidden) this.start() // a page feeding frames itself, with no turn begun
    if (frame.state === 'queued') return this.#queued(frame)
    if (this.#strip.dataset.state === 'queued') this.start() // out of the line: fn runs from now
    this.#show('running')
    const progress = frame.progress
    if (!progress || typeof progress !== 'object') return
    const {value, index, length, desc, unit} = progress
    const parts = []
    if (typeof desc === 'string' && desc) parts.push(desc)
    if (Number.isFinite(value)) parts.push(new Intl.NumberFormat(this.#locale.lang, {style: 'percent'}).format(value))
    if (Number.isInteger(index) && Number.isInteger(length)) {
      parts.push(this.#text('steps', {index: this.#locale.number(index), length: this.#locale.number(length), unit: unit ?? ''}).trim())
    }
    this.#label.textContent = parts.join(' · ')
    this.#bar.hidden = false
    if (Number.isFinite(value)) this.#bar.value = value
    else this.#bar.removeAttribute('value') // indeterminate
    this.#bar.setAttribute('aria-label', typeof desc === 'string' && desc ? desc : this.#label.textContent)
  }

  end() {
    clearInterval(this.#timer)
    this.#timer = 0
    this.#strip.hidden = true
    this.#strip.dataset.state = ''
    this.#announce.textContent = ''
    this.#position = 0
  }

  toast({level, message, title, duration}) {
    const kind = ['info', 'warning', 'success'].includes(level) ? level : 'info'
    const dismiss = this.#text('dismiss')
    const close = element('button', {class: 'toast-close', type: 'button', 'data-t-label': 'dismiss', 'data-t-title': 'dismiss', 'aria-label': dismiss, title: dismiss}, ['×'])
    const body = element('div', {class: 'toast-body'}, [
      ...(typeof title === 'string' && title ? [element('strong', {class: 'toast-title'}, [title])] : []),
      element('span', {class: 'toast-message'}, [String(message ?? '')]),
    ])
    // A warning is announced at once; the others when the reader's screen reader is free.
    const toast = element('div', {class: 'toast', part: `toast toast-${kind}`, 'data-level': kind, role: kind === 'warning' ? 'alert' : 'status'}, [body, close])
    close.addEventListener('click', () => toast.remove())
    if (Number.isFinite(duration)) this.#expire(toast, duration * 1000)
    this.#toasts.append(toast)
    while (this.#toasts.childElementCount > MAX_TOASTS) this.#toasts.firstElementChild.remove()
    this.#toasts.scrollTop = this.#toasts.scrollHeight // the newest in view; older ones scroll (status.css)
  }

  // The toast goes after `ms`, but not while the reader points at it or has focus in it.
  #expire(toast, ms) {
    let timer = setTimeout(() => toast.remove(), ms)
    const hold = () => clearTimeout(timer)
    const resume = () => {
      if (!toast.matches(':hover, :focus-within')) timer = setTimeout(() => toast.remove(), ms)
    }
    toast.addEventListener('pointerenter', hold)
    toast.addEventListener('focusin', hold)
    toast.addEventListener('pointerleave', resume)
    toast.addEventListener('focusout', resume)
  }

  #queued({position, size, eta}) {
    this.#show('queued')
    this.#bar.hidden = true
    const place = this.#text('queued', {position: this.#locale.number(position), size: this.#locale.number(size)})
    const seconds = this.#locale.number(Math.max(1, Math.round(eta)))
    this.#label.textContent = Number.isFinite(eta) ? `${place} · ${this.#text('eta', {seconds})}` : place
    if (position !== this.#position) this.#announce.textContent = place
    this.#position = position
  }

  #show(state) {
    this.#strip.hidden = this.#strip.dataset.mode === 'hidden'
    this.#strip.dataset.state = state
    if (!this.#timer) this.#timer = setInterval(() => this.#tick(), TICK_MS)
  }

  #tick() {
    const seconds = (performance.now() - this.#since) / 1000
    this.#clock.textContent = this.#text('seconds', {seconds: this.#locale.number(seconds, 1)})
  }
}
