// The messages the element shows, with the `message`, `patch` and `done` frames applied
// to them as docs/protocol.md specifies. The only module that touches message DOM (the
// element's other parts are parts.js's).
//
// A streaming message shows frozen blocks followed by a tail. Each patch touches only
// the nodes it changes (the dropped or added blocks, the tail, one text node), so the
// work per patch depends on the size of the patch and of the open block, never on the
// length of the message or of the conversation. `done` replaces everything once with
// the HTML rendered from the whole text.
//
// HTML comes only from the server, which sanitized it; it is parsed in a <template>
// (through the page's Trusted Types policy when one is set). Everything else (the user's
// text before the server's echo, `tail_text`) goes in as Text nodes.

import {parseHTML} from '../core/html.js'
import {createCopyButton, createFeedback, createOptions, decorateCodeBlocks, showFeedback} from '../actions/message-actions.js'
import {morphChildren, morphNodes} from './morph.js'
import {ASSISTANT, COMPLETE, ID_PATTERN, STREAMING, USER} from '../core/protocol.js'
import {setLabel} from '../i18n/strings.js'
import {insertionPoint} from './tail.js'
import {ThoughtView} from './thoughts.js'

function roleToken(role) {
  return /^[a-z]{1,20}$/.test(role) ? role : ASSISTANT
}

// Accessible names of messages, by role: a screen reader says who speaks.
// The name (strings.js) of each role's author, a message's accessible name.
const ROLE_LABELS = {user: 'you', assistant: 'assistant'}

function labelRole(element, role) {
  if (ROLE_LABELS[role]) setLabel(element, ROLE_LABELS[role], false)
  else element.setAttribute('aria-label', role) // hidden (system): never read
}

/**
 * One message on screen. `data` is the message as the protocol describes it:
 * `{id, role, content, html, status, metadata?, title_html?, options?}`; `content` is
 * Markdown text, or the object of a file or component (its `html` shows it).
 */
export class MessageView {
  /** The message's outer element: part="message <role>". */
  element
  /** The other versions of the turn this message starts (versions.js `{others, shown}`), or null. */
  turn = null
  #bubble
  #content
  #thought = null
  #options = null
  #avatar = null
  #actions = null
  #feedback = null
  #data
  #blocks = [] // frozen blocks, each the list of top-level nodes its HTML produced
  #tail = [] // top-level nodes of the open block, including text appended at the top level

  constructor(message) {
    const role = roleToken(message.role)
    this.element = document.createElement('div')
    this.element.className = `message ${role}`
    this.element.setAttribute('part', `message ${role}`)
    this.element.setAttribute('role', 'article')
    labelRole(this.element, role)
    this.element.dataset.id = message.id
    this.element.dataset.role = role
    // System messages reach fn in the history; they are never shown.
    this.element.hidden = role === 'system'
    this.#bubble = document.createElement('div')
    this.#bubble.className = 'bubble'
    this.#bubble.setAttribute('part', 'bubble')
    this.#content = document.createElement('div')
    this.#content.className = 'content'
    this.#content.setAttribute('part', 'content')
    // A message reads in its own direction: an English reply in an Arabic page left to right.
    this.#content.setAttribute('dir', 'auto')
    this.#bubble.append(this.#content)
    this.element.append(this.#bubble)
    if (role === ASSISTANT) this.actions.append(createCopyButton())
    this.#data = {id: message.id, role: message.role, content: '', html: '', status: COMPLETE}
    if (typeof message.feedback === 'string') this.#data.feedback = message.feedback
    this.update(message)
  }

  /** The row of buttons under the message (copy, feedback, retry, undo), made when first needed. */
  get actions() {
    if (!this.#actions) {
      this.#actions = document.createElement('div')
      this.#actions.className = 'message-actions'
      this.#actions.setAttribute('part', 'actions')
      this.element.insertBefore(this.#actions, this.#options)
    }
    return this.#actions
  }

  /** The reader's feedback ("Like", "Dislike", a flag) or null. */
  get feedback() {
    return this.#data.feedback ?? null
  }

  /** Offer feedback buttons for `options` (config.feedback_options), or none (null). */
  offerFeedback(options) {
    this.#feedback?.remove()
    this.#feedback = options?.length ? createFeedback(options) : null
    if (this.#feedback) {
      this.actions.append(this.#feedback)
      showFeedback(this.#feedback, this.feedback)
    }
  }

  /** Record and show the reader's feedback (null: none). */
  setFeedback(value) {
    if (value) this.#data.feedback = value
    else delete this.#data.feedback
    if (this.#feedback) showFeedback(this.#feedback, this.feedback)
  }

  get id() {
    return this.#data.id
  }

  get role() {
    return this.#data.role
  }

  get status() {
    return this.#data.status
  }

  get content() {
    return this.#data.content
  }

  /** `metadata.id`, by which thoughts nest (null without one). */
  get thoughtId() {
    return idOf(this.#data.metadata?.id)
  }

  /** `metadata.parent_id`: the thought this message goes inside (null: the log). */
  get parentId() {
    return idOf(this.#data.metadata?.parent_id)
  }

  /** Where messages nested in this one go (null when it is not a thought). */
  get childrenElement() {
    return this.#thought?.children ?? null
  }

  /** The text its copy button copies: the Markdown, or what a file or component shows. */
  get copyText() {
    return typeof this.#data.content === 'string' ? this.#data.content : this.#content.textContent.trim()
  }

  /** Show the avatar at `url` before the message (null: none). Decorative: the label names the role. */
  setAvatar(url) {
    if (!url) {
      this.#avatar?.remove()
      this.#avatar = null
      return
    }
    if (!this.#avatar) {
      this.#avatar = document.createElement('img')
      this.#avatar.className = 'avatar'
      this.#avatar.setAttribute('part', 'avatar')
      this.#avatar.alt = ''
      this.#avatar.decoding = 'async'
      this.element.prepend(this.#avatar)
    }
    if (this.#avatar.getAttribute('src') !== url) this.#avatar.src = url
  }

  /**
   * A plain copy: `{id, role, content, html, status}` and `metadata`, `options`, `feedback`
   * when set; the first message of an edited turn adds `versions` and `version`.
   */
  toJSON() {
    const copy = {...this.#data}
    // Text shown as text has no HTML; a streaming message's HTML is what it shows now.
    if (copy.html === null && !this.#content.classList.contains('plain')) copy.html = this.#content.innerHTML
    for (const key of ['metadata', 'options', 'content']) {
      if (copy[key] && typeof copy[key] === 'object') copy[key] = structuredClone(copy[key])
    }
    if (this.turn) {
      copy.versions = structuredClone(this.turn.others)
      copy.version = this.turn.shown
    }
    return copy
  }

  /** What `hello` sends back of this message: `{id, role, content, metadata?, options?}`. */
  toHistory() {
    const data = this.#data
    const entry = {id: data.id, role: data.role, content: data.content}
    for (const key of ['metadata', 'options', 'feedback']) if (data[key]) entry[key] = data[key]
    return entry
  }

  /**
   * Show `message` (a `message` frame's message, or a message set by the page). Without
   * `html` the content is shown as text. A streaming message's HTML is its open block.
   * HTML already shown is morphed, not rebuilt: a file or player sent again stays as it is.
   */
  update(message) {
    const data = this.#data
    data.content = typeof message.content === 'string' || isObject(message.content) ? message.content : ''
    data.status = typeof message.status === 'string' ? message.status : COMPLETE
    this.#blocks = []
    this.#tail = []
    if (typeof message.html === 'string') {
      this.#content.classList.remove('plain')
      // A message shown again (a file or component re-sent) keeps what did not change.
      if (this.#content.firstChild) morphChildren(this.#content, parseHTML(message.html))
      else this.#content.append(parseHTML(message.html))
      data.html = message.html
      if (data.status !== COMPLETE) {
        this.#tail = [...this.#content.childNodes]
        data.html = null // follows the DOM while patches arrive
      }
    } else {
      this.#showText(typeof data.content === 'string' ? data.content : '')
      data.html = null
    }
    this.#setStatus(data.status)
    this.#setExtras(message, true)
    if ('feedback' in message) this.setFeedback(typeof message.feedback === 'string' ? message.feedback : null) // another tab's
    if (data.status === COMPLETE || data.status === 'done') decorateCodeBlocks(this.#content)
  }

  /** Apply a `patch` frame: content, then blocks, then tail, then tail_text. */
  patch(frame) {
    const data = this.#data
    if (typeof data.content !== 'string') {
      this.#setExtras(frame, false) // a file or component: only its metadata or options change
      return
    }
    data.html = null
    if (typeof frame.keep === 'number') {
      data.content = data.content.slice(0, frame.keep) + (frame.append ?? '')
    }
    if (this.#content.classList.contains('plain')) {
      // A message shown as text until now: patches speak about HTML blocks.
      this.#content.classList.remove('plain')
      this.#content.replaceChildren()
    }
    if (typeof frame.blocks_from === 'number') {
      for (const block of this.#blocks.splice(frame.blocks_from)) for (const node of block) node.remove()
    }
    if (Array.isArray(frame.blocks)) {
      const before = this.#tail[0] ?? null
      for (const html of frame.blocks) {
        const fragment = parseHTML(html)
        this.#blocks.push([...fragment.childNodes])
        this.#content.insertBefore(fragment, before)
      }
    }
    if (typeof frame.tail === 'string') {
      const fresh = [...parseHTML(frame.tail).childNodes]
      if (this.#tail.length) this.#tail = morphNodes(this.#content, this.#tail, fresh)
      else this.#content.append(...(this.#tail = fresh))
    }
    if (typeof frame.tail_text === 'string' && frame.tail_text) {
      const text = document.createTextNode(frame.tail_text)
      const point = this.#insertionPoint()
      if (point) {
        point.append(text)
      } else {
        this.#content.append(text)
        this.#tail.push(text)
      }
    }
    this.#setExtras(frame, false)
  }

  /** Apply a `done` frame: the final HTML takes the place of blocks and tail (morphed in). */
  done(frame) {
    const data = this.#data
    if (typeof frame.content === 'string' || isObject(frame.content)) data.content = frame.content
    if (typeof frame.html === 'string') {
      this.#content.classList.remove('plain')
      morphChildren(this.#content, parseHTML(frame.html))
      data.html = frame.html
    } else {
      data.html = null
    }
    this.#blocks = []
    this.#tail = []
    this.#setStatus(typeof frame.status === 'string' ? frame.status : COMPLETE)
    this.#setExtras(frame, true)
    decorateCodeBlocks(this.#content)
  }

  /** How many of a streaming message's last top-level nodes are its open block: a reload keeps it (`resume()`). */
  get tailSize() {
    return this.#tail.length
  }

  /**
   * Take a reload's streaming message up again: its last `tailSize` nodes are the open block, those
   * before it its frozen blocks, as one (a patch drops them all, from 0, or none: streaming.py).
   */
  resume(tailSize) {
    const nodes = [...this.#content.childNodes]
    this.#tail = nodes.splice(Math.max(0, nodes.length - tailSize))
    this.#blocks = nodes.length ? [nodes] : []
  }

  /** Change the status only (e.g. `error` for a reply cut off by a lost connection). */
  setStatus(status) {
    this.#setStatus(status)
  }

  #setStatus(status) {
    this.#data.status = status
    this.element.dataset.status = status
    // Read once complete, not token by token (the log is a live region).
    if (status === STREAMING) this.element.setAttribute('aria-busy', 'true')
    else this.element.removeAttribute('aria-busy')
    this.#thought?.update(this.#data.metadata ?? {}, this.#data.title_html, status === STREAMING)
  }

  // metadata, title_html and options of a frame. `whole`: the frame states them all (a
  // message or done: absent means none); a patch carries only those that changed.
  #setExtras(frame, whole) {
    const data = this.#data
    if (isObject(frame.metadata)) data.metadata = {...frame.metadata}
    else if (whole) delete data.metadata
    if (typeof frame.title_html === 'string') data.title_html = frame.title_html
    else if (whole) delete data.title_html
    if (Array.isArray(frame.options)) data.options = frame.options.filter(isObject)
    else if (whole) delete data.options
    this.#showThought()
    this.#showOptions()
  }

  #showThought() {
    const data = this.#data
    const title = data.metadata?.title
    if (typeof title === 'string' && title) {
      if (!this.#thought) {
        this.#thought = new ThoughtView(this.#bubble, this.#content)
        this.element.classList.add('thought')
        setLabel(this.element, 'thought', false)
      }
      this.#thought.update(data.metadata, data.title_html, data.status === STREAMING)
    } else if (this.#thought) {
      this.#thought.remove(this.#bubble, this.#content)
      this.#thought = null
      this.element.classList.remove('thought')
      labelRole(this.element, roleToken(data.role))
    }
  }

  #showOptions() {
    const options = this.#data.options
    const key = options?.length ? JSON.stringify(options) : null
    if (this.#options?.dataset.key === key) return
    this.#options?.remove()
    this.#options = null
    if (!key) return
    this.#options = createOptions(options)
    this.#options.dataset.key = key
    this.element.append(this.#options)
  }

  #showText(text) {
    const paragraph = document.createElement('p')
    paragraph.textContent = text
    this.#content.classList.add('plain')
    this.#content.replaceChildren(paragraph)
  }

  #insertionPoint() {
    return insertionPoint(this.#tail)
  }
}

/** A message as the element keeps it, from anything a page may pass in `messages`. */
export function normalizeMessage(message, newId) {
  const id = typeof message?.id === 'string' && ID_PATTERN.test(message.id) ? message.id : newId()
  const role = message?.role === USER ? USER : typeof message?.role === 'string' ? message.role : ASSISTANT
  const content = message?.content
  const normalized = {
    id,
    role,
    content: typeof content === 'string' || isObject(content) ? content : String(content ?? ''),
    html: typeof message?.html === 'string' ? message.html : null,
    status: typeof message?.status === 'string' ? message.status : COMPLETE,
  }
  for (const key of ['metadata', 'options', 'title_html', 'feedback']) if (message?.[key] != null) normalized[key] = message[key]
  return normalized
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

// A thought's `metadata.id` or `parent_id` as a string (null: none).
function idOf(id) {
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null
}
