// A thought or tool use: a message with `metadata.title`, shown as a collapsible section.
//
// The title (rendered on the server, `title_html`), a spinner while its status is pending,
// and its duration sit on a toggle button; the log and the message's content (and thoughts
// nested inside it by `parent_id`) are the body. Pending starts open, done starts
// collapsed, no status starts open, as in Gradio; once the reader toggles it, the reader's
// choice sticks however the message changes.

import {parseHTML} from '../core/html.js'
import {setLabel} from '../i18n/strings.js'

let serial = 0

/** Gradio's duration format: whole seconds as "3s", else "2.5s", under 0.1 s as "45.0ms". */
export function formatDuration(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return ''
  if (Number.isInteger(seconds)) return `${seconds}s`
  if (seconds >= 0.1) return `${seconds.toFixed(1)}s`
  return `${(seconds * 1000).toFixed(1)}ms`
}

export class ThoughtView {
  /** Where thoughts nested inside this one go. */
  children
  #toggle
  #title
  #spinner
  #duration
  #log
  #body
  #titleHTML = null
  #readerChose = false

  /** Wrap `content` (a message's content element, inside `bubble`) in a thought. */
  constructor(bubble, content) {
    const id = `thought-${++serial}`
    this.#toggle = make('button', 'thought-toggle', {type: 'button', part: 'thought-toggle', 'aria-controls': id})
    this.#title = make('span', 'thought-title', {part: 'thought-title'})
    this.#spinner = make('span', 'thought-spinner', {role: 'img', hidden: ''})
    setLabel(this.#spinner, 'inProgress', false)
    this.#duration = make('span', 'thought-duration', {part: 'thought-duration'})
    this.#toggle.append(make('span', 'thought-chevron', {'aria-hidden': 'true'}), this.#title, this.#spinner, this.#duration)
    this.#log = make('div', 'thought-log', {part: 'thought-log', hidden: ''})
    this.children = make('div', 'thought-children')
    this.#body = make('div', 'thought-body', {id, part: 'thought-body'})
    bubble.insertBefore(this.#toggle, content)
    bubble.insertBefore(this.#body, content)
    this.#body.append(this.#log, content, this.children)
    this.#toggle.addEventListener('click', () => {
      this.#readerChose = true
      this.#setOpen(this.#toggle.getAttribute('aria-expanded') !== 'true')
    })
  }

  /** Show `metadata` (and its title's HTML); `streaming`: the message is still being produced. */
  update(metadata, titleHTML, streaming) {
    if (titleHTML !== this.#titleHTML) {
      this.#titleHTML = titleHTML
      if (typeof titleHTML === 'string') this.#title.replaceChildren(parseHTML(titleHTML))
      else this.#title.textContent = typeof metadata.title === 'string' ? metadata.title : ''
    }
    const pending = metadata.status === 'pending'
    // A spinner says work goes on: not once the reply is over, whatever the status says.
    this.#spinner.hidden = !(pending && streaming)
    this.#duration.textContent = formatDuration(metadata.duration)
    const log = typeof metadata.log === 'string' ? metadata.log : ''
    if (this.#log.textContent !== log) this.#log.textContent = log
    this.#log.hidden = !log
    if (!this.#readerChose) this.#setOpen(metadata.status !== 'done')
  }

  /**
   * Remove the thought's chrome, leaving `content` where the body was; the thoughts nested
   * in it move out, right after its message.
   */
  remove(bubble, content) {
    bubble.insertBefore(content, this.#toggle)
    bubble.parentElement.after(...this.children.childNodes)
    this.#toggle.remove()
    this.#body.remove()
  }

  #setOpen(open) {
    this.#toggle.setAttribute('aria-expanded', String(open))
    this.#body.hidden = !open
  }
}

function make(tag, className, attributes = {}) {
  const node = document.createElement(tag)
  node.className = className
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  return node
}
