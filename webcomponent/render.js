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

import {ASSISTANT, COMPLETE, ID_PATTERN, USER} from './protocol.js'

let trustedTypesPolicy = null

/**
 * Route every server HTML string through `policy.createHTML` (for pages that enforce
 * Trusted Types). `policy` may be a policy, a promise of one, or null to stop using one.
 */
export function setTrustedTypesPolicy(policy) {
  if (policy && typeof policy.then === 'function') {
    policy.then(resolved => {
      trustedTypesPolicy = resolved
    })
  } else {
    trustedTypesPolicy = policy || null
  }
}

/** Parse sanitized server HTML into a DocumentFragment (inert: scripts never run). */
export function parseHTML(html) {
  const template = document.createElement('template')
  template.innerHTML = trustedTypesPolicy ? trustedTypesPolicy.createHTML(html) : html
  return template.content
}

// -- messages ------------------------------------------------------------------------

// Elements the tail's insertion point descends into (docs/protocol.md, `patch`).
const ENTERED = new Set([
  'P', 'LI', 'UL', 'OL', 'BLOCKQUOTE', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6',
  'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'PRE',
])

function isBlank(node) {
  return node.nodeType === Node.TEXT_NODE && /^[ \t\n\f\r]*$/.test(node.data)
}

function isEntered(node) {
  if (!node || node.nodeType !== Node.ELEMENT_NODE) return false
  if (ENTERED.has(node.nodeName)) return true
  if (node.nodeName === 'DIV') return node.classList.contains('code-block') // -> its PRE -> CODE
  return node.nodeName === 'CODE' && node.parentNode?.nodeName === 'PRE'
}

function lastMeaningful(nodes) {
  for (let i = nodes.length - 1; i >= 0; i--) if (!isBlank(nodes[i])) return nodes[i]
  return null
}

function lastMeaningfulChild(element) {
  let node = element.lastChild
  while (node && isBlank(node)) node = node.previousSibling
  return node
}

function roleToken(role) {
  return /^[a-z]{1,20}$/.test(role) ? role : ASSISTANT
}

/**
 * One message on screen. `data` is the message as the protocol describes it:
 * `{id, role, content, html, status, metadata?}`.
 */
export class MessageView {
  /** The message's outer element: part="message <role>". */
  element
  #content
  #title
  #data
  #blocks = [] // frozen blocks, each the list of top-level nodes its HTML produced
  #tail = [] // top-level nodes of the open block, including text appended at the top level

  constructor(message) {
    const role = roleToken(message.role)
    this.element = document.createElement('div')
    this.element.className = `message ${role}`
    this.element.setAttribute('part', `message ${role}`)
    this.element.dataset.id = message.id
    this.element.dataset.role = role
    const bubble = document.createElement('div')
    bubble.className = 'bubble'
    bubble.setAttribute('part', 'bubble')
    this.#title = document.createElement('div')
    this.#title.className = 'title'
    this.#title.setAttribute('part', 'title')
    this.#title.hidden = true
    this.#content = document.createElement('div')
    this.#content.className = 'content'
    this.#content.setAttribute('part', 'content')
    bubble.append(this.#title, this.#content)
    this.element.append(bubble)
    this.#data = {id: message.id, role: message.role, content: '', html: '', status: COMPLETE}
    this.update(message)
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

  /** A plain copy: `{id, role, content, html, status}` (and `metadata` when there is one). */
  toJSON() {
    const copy = {...this.#data}
    // Text shown as text has no HTML; a streaming message's HTML is what it shows now.
    if (copy.html === null && !this.#content.classList.contains('plain')) copy.html = this.#content.innerHTML
    if (copy.metadata) copy.metadata = structuredClone(copy.metadata)
    return copy
  }

  /**
   * Show `message` (a `message` frame's message, or a message set by the page). Without
   * `html` the content is shown as text. A streaming message's HTML is its open block.
   */
  update(message) {
    const data = this.#data
    data.content = typeof message.content === 'string' ? message.content : ''
    data.status = typeof message.status === 'string' ? message.status : COMPLETE
    if (message.metadata && typeof message.metadata === 'object') data.metadata = {...message.metadata}
    else delete data.metadata
    this.#blocks = []
    this.#tail = []
    if (typeof message.html === 'string') {
      this.#content.classList.remove('plain')
      this.#content.replaceChildren(parseHTML(message.html))
      data.html = message.html
      if (data.status !== COMPLETE) {
        this.#tail = [...this.#content.childNodes]
        data.html = null // follows the DOM while patches arrive
      }
    } else {
      this.#showText(data.content)
      data.html = null
    }
    const title = data.metadata?.title
    this.#title.textContent = typeof title === 'string' ? title : ''
    this.#title.hidden = !this.#title.textContent
    this.#setStatus(data.status)
  }

  /** Apply a `patch` frame: content, then blocks, then tail, then tail_text. */
  patch(frame) {
    const data = this.#data
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
      for (const node of this.#tail) node.remove()
      const fragment = parseHTML(frame.tail)
      this.#tail = [...fragment.childNodes]
      this.#content.append(fragment)
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
  }

  /** Apply a `done` frame: the final HTML replaces blocks and tail. */
  done(frame) {
    const data = this.#data
    if (typeof frame.content === 'string') data.content = frame.content
    if (typeof frame.html === 'string') {
      this.#content.classList.remove('plain')
      this.#content.replaceChildren(parseHTML(frame.html))
      data.html = frame.html
    } else {
      data.html = null
    }
    this.#blocks = []
    this.#tail = []
    this.#setStatus(typeof frame.status === 'string' ? frame.status : COMPLETE)
  }

  /** Change the status only (e.g. `error` for a reply cut off by a lost connection). */
  setStatus(status) {
    this.#setStatus(status)
  }

  #setStatus(status) {
    this.#data.status = status
    this.element.dataset.status = status
  }

  #showText(text) {
    const paragraph = document.createElement('p')
    paragraph.textContent = text
    this.#content.classList.add('plain')
    this.#content.replaceChildren(paragraph)
  }

  // The tail's insertion point (docs/protocol.md): from the tail container, descend into
  // the last meaningful child while it is one of ENTERED. null means the container itself.
  #insertionPoint() {
    let point = null
    let node = lastMeaningful(this.#tail)
    while (isEntered(node)) {
      point = node
      node = lastMeaningfulChild(node)
    }
    return point
  }
}

/** A message as the element keeps it, from anything a page may pass in `messages`. */
export function normalizeMessage(message, newId) {
  const id = typeof message?.id === 'string' && ID_PATTERN.test(message.id) ? message.id : newId()
  const role = message?.role === USER ? USER : typeof message?.role === 'string' ? message.role : ASSISTANT
  const normalized = {
    id,
    role,
    content: typeof message?.content === 'string' ? message.content : String(message?.content ?? ''),
    html: typeof message?.html === 'string' ? message.html : null,
    status: typeof message?.status === 'string' ? message.status : COMPLETE,
  }
  if (message?.metadata && typeof message.metadata === 'object') normalized.metadata = message.metadata
  return normalized
}
