// save_history: a side panel of the reader's past conversations (new chat, switch, rename,
// delete; titles from the first message; newest first), kept in this browser's localStorage so
// they outlive reloads and server restarts, and, when the chat keeps a signed-in user's
// conversations on the server (config.history_server), merged with those, so the same list
// shows on another device. Loaded by saved-history.js only for chats that save history, with
// its stylesheet; it imports only modules without state (web/bundle.py's rule for lazy modules).

import {icon} from '../core/icons.js'

// Its texts in English (strings.js's rule: the element's locale translates them).
export const HISTORY_TEXT = Object.freeze({
  chats: 'Chats',
  showChats: 'Show saved chats',
  hideChats: 'Hide saved chats',
  newChat: 'New chat',
  rename: 'Rename',
  renameChat: 'New name for “{title}”',
  delete: 'Delete',
  confirmDelete: 'Delete “{title}”? Press again to delete it.',
  today: 'Today',
  earlier: 'Earlier',
})

const FORMAT = 1
const MAX_KEPT = 50 // conversations this browser keeps per chat; more push the oldest out
const SAVE_DELAY_MS = 300
const CONFIRM_MS = 4000 // a delete waits this long for its second press
const TITLE_CHARS = 80
const DOCKED_WIDTH = 720 // px of the element: from here the panel stays open beside the conversation

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value)
  node.append(...children)
  return node
}

// A node named by a text of the element's (locale.js keeps it in the element's language).
function named(node, host, name, attribute = 'aria-label') {
  const marker = attribute === 'text' ? 'data-t' : `data-t-${attribute === 'aria-label' ? 'label' : attribute}`
  node.setAttribute(marker, name)
  if (attribute === 'text') node.textContent = host.t(name)
  else node.setAttribute(attribute, host.t(name))
  return node
}

/** A conversation's title: its first text of the reader's, on one line. */
export function titleOf(messages) {
  const first = messages.find(m => m?.role === 'user' && typeof m.content === 'string' && m.content.trim())
  const text = first ? first.content.split(/\s+/).join(' ').trim() : ''
  return text.length <= TITLE_CHARS ? text : `${text.slice(0, TITLE_CHARS - 1).trimEnd()}…`
}

/**
 *     const panel = new HistoryPanel(parts, host)   // host: {t, learn, snapshot(), open(conversation), busy()}
 *     await panel.ready                              // its stylesheet is in
 *     panel.configure(config, src, id)
 *     panel.changed()                                // the open conversation changed
 */
export class HistoryPanel {
  #host
  #frame
  #header
  #panel
  #list
  #toggle
  #key = null
  #src = null
  #server = false
  #conversations = [] // {id, title, renamed, updated, messages?, uploadKey?, live?, remote?}
  #timer = 0

  constructor(parts, host) {
    this.#host = host
    host.learn(HISTORY_TEXT)
    this.#frame = parts.frame
    this.#header = parts.header
    const sheet = element('link', {rel: 'stylesheet', href: new URL('./history.css', import.meta.url).href})
    this.ready = new Promise(resolve => {
      sheet.addEventListener('load', () => resolve(this), {once: true})
      sheet.addEventListener('error', () => resolve(this), {once: true})
    })
    parts.frame.getRootNode().append(sheet)
    const newChat = element('button', {class: 'history-new', part: 'history-new', type: 'button'}, [icon('plus'), named(element('span'), host, 'newChat', 'text')])
    newChat.addEventListener('click', () => this.#open(null))
    const close = named(element('button', {class: 'history-close icon-button', type: 'button'}, [icon('close')]), host, 'hideChats')
    named(close, host, 'hideChats', 'title')
    close.addEventListener('click', () => this.#show(false))
    this.#list = element('ol', {class: 'history-list', part: 'history-list'})
    this.#list.addEventListener('click', event => this.#clicked(event))
    this.#list.addEventListener('keydown', event => this.#key_(event))
    const heading = named(element('h2', {class: 'history-heading'}), host, 'chats', 'text')
    this.#panel = element('nav', {class: 'history-panel', part: 'history-panel', hidden: ''}, [
      element('div', {class: 'history-top'}, [heading, close]),
      newChat,
      this.#list,
    ])
    named(this.#panel, host, 'chats')
    this.#toggle = element('button', {class: 'action history-button', part: 'history-button', type: 'button', 'aria-expanded': 'false'}, [icon('chats')])
    named(this.#toggle, host, 'showChats')
    named(this.#toggle, host, 'showChats', 'title')
    this.#toggle.addEventListener('click', () => this.#show(this.#panel.hidden))
    parts.header.prepend(this.#toggle)
    parts.frame.append(this.#panel)
    parts.frame.addEventListener('keydown', event => {
      if (event.key === 'Escape' && !this.#panel.hidden && this.#panel.contains(event.target) && this.#frame.dataset.history !== 'docked') {
        this.#show(false)
        this.#toggle.focus()
      }
    })
    // Another tab of this page kept a conversation: the list shows it here too.
    addEventListener('storage', event => {
      if (!this.#key || event.key !== this.#key) return
      this.#conversations = this.#load()
      this.#render()
      if (this.#server) this.#fetchServer()
    })
    // Wide enough: the panel stays open beside the conversation; narrow: over it, on demand.
    this.#docking = new ResizeObserver(() => this.#dock())
    this.#docking.observe(parts.frame)
  }

  #docking

  configure(config, src, id) {
    this.#frame.toggleAttribute('data-history', Boolean(config.save_history))
    this.#toggle.hidden = !config.save_history
    if (config.save_history) this.#header.hidden = false
    this.#dock()
    if (!config.save_history || !src) return
    const key = `chat-bot:history:${new URL(src, document.baseURI).href}${id ? `#${id}` : ''}`
    if (key !== this.#key) {
      this.#key = key
      this.#conversations = this.#load()
    }
    this.#src = src.replace(/\/+$/, '')
    this.#server = config.history_server === true
    this.#render()
    if (this.#server) this.#fetchServer()
  }

  /** The open conversation changed: kept soon (never while a reply streams). */
  changed() {
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => this.#keep(), SAVE_DELAY_MS)
  }

  // -- the list -------------------------------------------------------------------------

  #keep() {
    const {session, uploadKey, live, messages, generating} = this.#host.snapshot()
    if (generating) return this.changed() // again once the reply is whole
    if (!session || !this.#key) return
    let entry = this.#conversations.find(c => c.id === session)
    if (!messages.length) {
      if (entry) this.#render() // a cleared conversation stays listed until deleted
      return
    }
    if (!entry) this.#conversations.push((entry = {id: session, title: '', renamed: false}))
    if (!entry.renamed) entry.title = titleOf(messages)
    // Newer only when something was said (not for a like, or for being looked at).
    const said = `${messages.length}:${messages.at(-1).id}`
    if (entry.said !== said) Object.assign(entry, {said, updated: Date.now()})
    Object.assign(entry, {messages, uploadKey, live, remote: false})
    this.#store()
    this.#render()
  }

  #load() {
    try {
      const data = JSON.parse(localStorage.getItem(this.#key) ?? 'null')
      if (data?.format !== FORMAT || !Array.isArray(data.conversations)) return []
      return data.conversations.filter(c => c && typeof c.id === 'string' && Array.isArray(c.messages))
    } catch {
      return []
    }
  }

  // Newest kept; when storage is full, the oldest go until the rest fits.
  #store() {
    const kept = this.#sorted().filter(c => !c.remote).slice(0, MAX_KEPT)
    while (kept.length) {
      try {
        localStorage.setItem(this.#key, JSON.stringify({format: FORMAT, conversations: kept}))
        return
      } catch {
        kept.pop()
      }
    }
    try {
      localStorage.removeItem(this.#key)
    } catch {
      // no storage at all: the list lives as long as the page
    }
  }

  #sorted() {
    return [...this.#conversations].sort((a, b) => (b.updated ?? 0) - (a.updated ?? 0))
  }

  async #fetchServer() {
    try {
      const response = await fetch(`${this.#src}/history`, {credentials: 'same-origin'})
      if (!response.ok) return
      const {conversations} = await response.json()
      for (const remote of Array.isArray(conversations) ? conversations : []) {
        if (typeof remote?.id !== 'string') continue
        const updated = Number(remote.updated) * 1000
        const local = this.#conversations.find(c => c.id === remote.id)
        if (!local) this.#conversations.push({id: remote.id, title: String(remote.title ?? ''), renamed: true, updated, remote: true})
        else if (updated > (local.updated ?? 0)) Object.assign(local, {title: String(remote.title ?? local.title), updated, remote: true})
      }
      this.#render()
    } catch {
      // offline: this browser's list
    }
  }

  #render(renamed = false) {
    // The reader's place in the list stays where it was; a rename being typed is not cut short.
    const active = this.#list.getRootNode().activeElement
    if (!renamed && active?.classList.contains('history-title')) return
    const was = this.#list.contains(active) ? [active.closest('.history-entry')?.dataset.id, active.dataset.action] : null
    const {session} = this.#host.snapshot()
    const busy = this.#host.busy()
    const startOfToday = new Date().setHours(0, 0, 0, 0)
    const items = []
    let group = null
    for (const conversation of this.#sorted()) {
      const today = (conversation.updated ?? 0) >= startOfToday
      if (today !== group) {
        group = today
        items.push(named(element('li', {class: 'history-group'}), this.#host, today ? 'today' : 'earlier', 'text'))
      }
      items.push(this.#item(conversation, conversation.id === session, busy))
    }
    this.#list.replaceChildren(...items)
    if (was) this.#list.querySelector(`[data-id="${was[0]}"] [data-action="${was[1]}"]`)?.focus()
  }

  #item(conversation, current, busy) {
    const title = conversation.title || this.#host.t('newChat')
    const open = element('button', {class: 'history-open', part: 'history-item', type: 'button', 'data-action': 'open'}, [title])
    if (current) open.setAttribute('aria-current', 'true')
    open.disabled = busy && !current
    const rename = named(element('button', {class: 'action history-rename', part: 'history-rename', type: 'button', 'data-action': 'rename'}, [icon('edit')]), this.#host, 'rename')
    named(rename, this.#host, 'rename', 'title')
    const remove = named(element('button', {class: 'action history-delete', part: 'history-delete', type: 'button', 'data-action': 'delete'}, [icon('trash')]), this.#host, 'delete')
    named(remove, this.#host, 'delete', 'title')
    remove.disabled = busy && current
    return element('li', {class: 'history-entry', 'data-id': conversation.id}, [open, rename, remove])
  }

  // -- what the reader does ---------------------------------------------------------------

  #clicked(event) {
    const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null
    const entry = button?.closest('.history-entry')
    const conversation = entry && this.#conversations.find(c => c.id === entry.dataset.id)
    if (!conversation) return
    if (button.dataset.action === 'open') this.#open(conversation)
    else if (button.dataset.action === 'rename') this.#rename(entry, conversation)
    else if (button.dataset.action === 'delete') this.#delete(button, conversation)
  }

  // Up and down move between the conversations' buttons.
  #key_(event) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
    const buttons = [...this.#list.querySelectorAll('.history-open:not(:disabled)')]
    const index = buttons.indexOf(event.target)
    if (index < 0) return
    event.preventDefault()
    buttons[(index + (event.key === 'ArrowDown' ? 1 : buttons.length - 1)) % buttons.length]?.focus()
  }

  // `keep`: the conversation being left is kept as it is now (not when it was just deleted).
  async #open(conversation, keep = true) {
    if (this.#host.busy()) return
    if (keep) this.#keep()
    let chosen = conversation
    if (chosen?.remote) {
      try {
        const response = await fetch(`${this.#src}/history/${encodeURIComponent(chosen.id)}`, {credentials: 'same-origin'})
        if (!response.ok) return
        const data = await response.json()
        const uploadKey = typeof data.upload_key === 'string' ? data.upload_key : null // its files stay its own
        chosen = Object.assign(chosen, {messages: Array.isArray(data.messages) ? data.messages : [], uploadKey, remote: false})
        this.#store()
      } catch {
        return // offline: it stays where it is
      }
    }
    this.#host.open(chosen ? {session: chosen.id, uploadKey: chosen.uploadKey ?? null, live: chosen.live ?? null, messages: chosen.messages} : {})
    this.#render()
    if (this.#frame.dataset.history !== 'docked') this.#show(false)
  }

  #rename(entry, conversation) {
    const open = entry.querySelector('.history-open')
    const input = element('input', {class: 'history-title', type: 'text', maxlength: String(TITLE_CHARS)})
    input.value = conversation.title
    input.setAttribute('aria-label', this.#host.t('renameChat', {title: conversation.title || this.#host.t('newChat')}))
    let done = false
    const finish = save => {
      if (done) return
      done = true
      const title = input.value.split(/\s+/).join(' ').trim()
      if (save && title && title !== conversation.title) {
        Object.assign(conversation, {title, renamed: true})
        this.#store()
        if (this.#server) this.#send('PATCH', conversation.id, {title})
      }
      this.#render(true)
      this.#list.querySelector(`[data-id="${conversation.id}"] .history-open`)?.focus()
    }
    input.addEventListener('keydown', event => {
      if (event.key !== 'Enter' && event.key !== 'Escape') return
      // Focus goes back to the conversation's button: the key must not press it too.
      event.preventDefault()
      event.stopPropagation() // Escape closes the editor, not the panel
      finish(event.key === 'Enter')
    })
    input.addEventListener('blur', () => finish(true))
    open.replaceWith(input)
    input.focus()
    input.select()
  }

  #delete(button, conversation) {
    if (!button.hasAttribute('data-confirm')) {
      // A first press asks; a second within a few seconds deletes.
      button.setAttribute('data-confirm', '')
      button.setAttribute('aria-label', this.#host.t('confirmDelete', {title: conversation.title || this.#host.t('newChat')}))
      setTimeout(() => button.isConnected && this.#render(), CONFIRM_MS)
      return
    }
    this.#conversations = this.#conversations.filter(c => c !== conversation)
    this.#store()
    if (this.#server) this.#send('DELETE', conversation.id)
    if (conversation.id === this.#host.snapshot().session) this.#open(null, false)
    else this.#render()
    this.#list.querySelector('.history-open')?.focus()
  }

  #send(method, id, body = undefined) {
    fetch(`${this.#src}/history/${encodeURIComponent(id)}`, {
      method,
      credentials: 'same-origin',
      headers: body ? {'Content-Type': 'application/json'} : {},
      body: body ? JSON.stringify(body) : undefined,
    }).catch(() => {}) // offline: this browser's copy changed; the server's comes back with the next list
  }

  #show(open, focus = true) {
    this.#panel.hidden = !open
    this.#toggle.setAttribute('aria-expanded', String(open))
    const name = open ? 'hideChats' : 'showChats'
    this.#toggle.setAttribute('data-t-label', name)
    this.#toggle.setAttribute('data-t-title', name)
    this.#toggle.setAttribute('aria-label', this.#host.t(name))
    this.#toggle.title = this.#host.t(name)
    if (open) {
      clearTimeout(this.#timer)
      this.#keep() // the open conversation listed as it is now
    }
    if (open && this.#server) this.#fetchServer()
    if (open && focus) (this.#list.querySelector('[aria-current]') ?? this.#panel.querySelector('.history-new'))?.focus()
  }

  #dock() {
    if (!this.#frame.hasAttribute('data-history')) return
    const docked = this.#frame.clientWidth >= DOCKED_WIDTH
    if (docked === (this.#frame.dataset.history === 'docked')) return
    this.#frame.dataset.history = docked ? 'docked' : ''
    this.#show(docked, false)
  }
}
