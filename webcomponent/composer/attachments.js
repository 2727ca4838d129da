// The files of the message being written, above the message box: each uploaded as soon as
// it is attached (POST {mount}/upload, docs/files.md) with a progress bar, a thumbnail for
// an image, and a button that cancels the upload or removes the file. Loaded on first use
// by attach.js: it imports only modules without state (web/bundle.py's rule for lazy modules).

import {icon} from '../core/icons.js'
import {sizeText, typeRefusal} from './file-rules.js'

const KEY_HEADER = 'X-Chatbot-Upload-Key' // flask_chatbot/files/uploads.py

/**
 *     const tray = new Tray(element, {uploadKey: () => promiseOfKey, say: text => ..., t: (name, values) => text})
 *     tray.configure(config, uploadURL)
 *     tray.add(files)
 *     tray.status()  // {files: [{id, name, size, mime_type}], uploading: 0, failed: 0}
 */
export class Tray {
  #element
  #host
  #config = {}
  #uploadURL = null
  #entries = []

  constructor(element, host) {
    this.#element = element
    this.#host = host
  }

  configure(config, uploadURL) {
    this.#config = config ?? {}
    this.#uploadURL = uploadURL
  }

  /** Check `files` against the chat's rules, show them and start their uploads. */
  add(files) {
    const {max_files: maxFiles = 10, max_file_size: maxSize = Infinity} = this.#config
    const refused = []
    const taken = []
    for (const file of files) {
      const why =
        typeRefusal(this.#config, file.name, file.type, this.#host.t) ??
        (file.size > maxSize ? this.#host.t('tooLarge', {name: file.name, size: sizeText(maxSize)}) : null)
      if (why) refused.push(why)
      else taken.push(file)
    }
    if (maxFiles === 1 && taken.length) {
      // One file a message: the newest replaces the one attached before, as in Gradio.
      for (const entry of this.#entries.splice(0)) this.#drop(entry)
      taken.splice(0, taken.length - 1)
    }
    const room = maxFiles - this.#entries.length
    if (taken.length > room) {
      const over = taken.splice(Math.max(room, 0))
      refused.push(this.#host.t('notAttached', {names: over.map(f => `“${f.name}”`).join(', '), count: maxFiles}))
    }
    for (const file of taken) this.#upload(this.#show({file, name: file.name || 'file', size: file.size, id: null}))
    this.#host.say(refused.join(' '))
    this.#changed()
  }

  /** `{files, uploading, failed}`: the uploaded files' infos, and how many are not (yet). */
  status() {
    const count = state => this.#entries.filter(entry => entry.state === state).length
    const files = this.#entries.filter(entry => entry.state === 'done').map(entry => entry.info)
    return {files, uploading: count('uploading'), failed: count('failed')}
  }

  /** Empty the tray for a message being sent; its entries can come back (`restore`). */
  take() {
    const entries = this.#entries.filter(entry => entry.state === 'done')
    for (const entry of this.#entries.splice(0)) entry.chip.remove()
    this.#changed()
    return entries
  }

  /** `entries` were sent and stay sent: their thumbnails' memory goes. */
  release(entries) {
    for (const entry of entries) if (entry.objectURL && !this.#entries.includes(entry)) URL.revokeObjectURL(entry.objectURL)
  }

  /**
   * Put back what `take()` took (the server refused the message), within the rules: files
   * attached meanwhile stay. Returns a note naming those with no room left ('' if none).
   */
  restore(entries) {
    const {max_files: maxFiles = 10} = this.#config
    const back = entries.filter(entry => !this.#entries.some(shown => shown.id === entry.id))
    const left = back.splice(Math.max(maxFiles - this.#entries.length, 0))
    for (const entry of back) {
      this.#entries.push(entry)
      this.#element.append(entry.chip)
    }
    this.release(left)
    this.#changed()
    if (!left.length) return ''
    const names = left.map(entry => `“${entry.name}”`).join(', ')
    return this.#host.t(maxFiles === 1 ? 'notPutBackOne' : 'notPutBack', {names, count: maxFiles})
  }

  #show(entry) {
    const {file, name} = entry
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.className = 'attachment-remove'
    remove.setAttribute('part', 'attachment-remove')
    remove.append(icon('close'))
    remove.addEventListener('click', () => this.#remove(entry))
    const preview = document.createElement(file.type?.startsWith('image/') ? 'img' : 'span')
    preview.className = 'attachment-preview'
    if (preview.tagName === 'IMG') {
      preview.alt = ''
      entry.objectURL = URL.createObjectURL(file)
      preview.src = entry.objectURL
      // A page whose policy forbids blob: images shows the file's type instead.
      preview.addEventListener('error', () => preview.replaceWith(typeBadge(name)), {once: true})
    }
    const label = document.createElement('span')
    label.className = 'attachment-name'
    label.textContent = name
    label.title = name
    entry.meta = document.createElement('span')
    entry.meta.className = 'attachment-meta'
    entry.progress = document.createElement('progress')
    entry.progress.className = 'attachment-progress'
    entry.progress.max = 1
    entry.progress.value = 0
    entry.progress.setAttribute('aria-label', this.#host.t('uploading', {name}))
    const body = document.createElement('span')
    body.className = 'attachment-body'
    body.append(label, entry.meta, entry.progress)
    entry.chip = document.createElement('div')
    entry.chip.className = 'attachment'
    entry.chip.setAttribute('part', 'attachment')
    entry.chip.append(preview.tagName === 'IMG' ? preview : typeBadge(name), body, remove)
    entry.remove = remove
    this.#entries.push(entry)
    this.#element.append(entry.chip)
    this.#setState(entry, 'uploading')
    return entry
  }

  async #upload(entry) {
    const key = await this.#host.uploadKey()
    if (entry.state !== 'uploading') return // removed while waiting for the key
    const url = new URL(this.#uploadURL)
    url.searchParams.set('name', entry.name)
    const request = (entry.request = new XMLHttpRequest())
    request.open('POST', url.href)
    request.setRequestHeader(KEY_HEADER, key)
    request.setRequestHeader('Content-Type', entry.file.type || 'application/octet-stream')
    request.upload.addEventListener('progress', event => {
      if (event.lengthComputable) entry.progress.value = event.loaded / event.total
    })
    request.addEventListener('load', () => {
      const body = parseJSON(request.responseText)
      if (request.status === 201 && body?.id) {
        entry.info = {id: body.id, name: body.name, size: body.size, mime_type: body.mime_type}
        entry.id = body.id
        this.#setState(entry, 'done')
      } else {
        this.#setState(entry, 'failed')
        this.#host.say(body?.error?.message ?? this.#host.t('uploadRefused', {name: entry.name, status: request.status}))
      }
      this.#changed()
    })
    request.addEventListener('error', () => {
      this.#setState(entry, 'failed')
      this.#host.say(this.#host.t('uploadFailed', {name: entry.name}))
      this.#changed()
    })
    request.send(entry.file)
  }

  #setState(entry, state) {
    entry.state = state
    entry.chip.dataset.state = state
    entry.progress.hidden = state !== 'uploading'
    entry.meta.textContent = state === 'failed' ? this.#host.t('notUploaded') : sizeText(entry.size)
    const what = this.#host.t(state === 'uploading' ? 'cancelUpload' : 'removeFile', {name: entry.name})
    entry.remove.setAttribute('aria-label', what)
    entry.remove.title = what
  }

  // The reader removed a file, or cancelled its upload.
  #remove(entry) {
    const index = this.#entries.indexOf(entry)
    if (index >= 0) this.#entries.splice(index, 1)
    this.#drop(entry)
    this.#host.say('')
    this.#changed()
  }

  #drop(entry) {
    if (entry.state === 'uploading') entry.request?.abort()
    entry.state = 'removed'
    entry.chip.remove()
    if (entry.objectURL) URL.revokeObjectURL(entry.objectURL)
  }

  #changed() {
    this.#element.hidden = !this.#entries.length
    this.#element.dispatchEvent(new Event('attachments-changed', {bubbles: true}))
  }
}

// A file without a thumbnail: its extension ("PDF") in a small badge.
function typeBadge(name) {
  const badge = document.createElement('span')
  badge.className = 'attachment-preview attachment-type'
  badge.setAttribute('aria-hidden', 'true')
  const dot = name.lastIndexOf('.')
  badge.textContent = dot > 0 ? name.slice(dot + 1, dot + 5).toUpperCase() : 'FILE'
  return badge
}

function parseJSON(text) {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}
