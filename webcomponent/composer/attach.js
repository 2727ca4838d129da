// How files get into a multimodal chat's message: the attach button, files dropped on the
// chat, images pasted into the box, pasted text too long for it (config's
// max_plain_text_length), which becomes a .txt file, and the microphone (config.sources).
// Loaded by file-intake.js once config.json says the chat takes files; the tray that uploads
// and shows the files (attachments.js) and the recorder (recorder.js) load on first use. It
// imports only modules without state (web/bundle.py's rule for lazy modules).

import {FILE_TEXT, typeRefusal} from './file-rules.js'

/**
 *     const intake = new AttachIntake(parts, {uploadKey: () => promise, say: text => ..., t: (name, values) => text, learn})
 *     intake.connect(signal)
 *     intake.configure(config, uploadURL)
 *     intake.status()  // the message's files: {files: [{id, name, size, mime_type}], uploading, failed}
 */
export class AttachIntake {
  #parts
  #host
  #config = null
  #uploadURL = null
  #tray = null // a promise of attachments.js's Tray
  #trayValue = null // the Tray, once it has loaded

  constructor(parts, host) {
    this.#parts = parts
    this.#host = host
    host.learn(FILE_TEXT)
  }

  /** Whether this chat takes files (config.multimodal with an upload route). */
  get enabled() {
    return Boolean(this.#config?.multimodal && this.#uploadURL)
  }

  /** config.json's file options; `uploadURL` its `upload` route, resolved. */
  configure(config, uploadURL) {
    this.#config = config
    this.#uploadURL = config.multimodal && uploadURL ? uploadURL : null
    const {attachButton, micButton, fileInput} = this.#parts
    const sources = Array.isArray(config.sources) ? config.sources : ['upload']
    attachButton.hidden = !this.enabled || !sources.includes('upload')
    micButton.hidden = !this.enabled || !sources.includes('microphone') || !globalThis.MediaRecorder
    fileInput.accept = config.file_accept || ''
    fileInput.multiple = config.max_files !== 1
    this.#trayValue?.configure(config, this.#uploadURL)
  }

  connect(signal) {
    const {attachButton, micButton, fileInput, textarea, frame} = this.#parts
    attachButton.addEventListener('click', () => fileInput.click(), {signal})
    micButton.addEventListener('click', () => this.#loadRecorder().then(recorder => recorder.toggle(), () => {}), {signal}) // offline: the next press tries again
    fileInput.addEventListener(
      'change',
      () => {
        this.add([...fileInput.files])
        fileInput.value = '' // the same file may be picked again
      },
      {signal},
    )
    textarea.addEventListener('paste', event => this.#paste(event), {signal})
    const carriesFiles = event => this.enabled && event.dataTransfer?.types.includes('Files')
    for (const type of ['dragenter', 'dragover']) {
      frame.addEventListener(
        type,
        event => {
          if (!carriesFiles(event)) return
          event.preventDefault()
          event.dataTransfer.dropEffect = 'copy'
          frame.classList.add('dragging')
        },
        {signal},
      )
    }
    frame.addEventListener('dragleave', event => !frame.contains(event.relatedTarget) && frame.classList.remove('dragging'), {signal})
    frame.addEventListener(
      'drop',
      event => {
        frame.classList.remove('dragging')
        if (!carriesFiles(event)) return
        event.preventDefault()
        this.add([...event.dataTransfer.files])
      },
      {signal},
    )
  }

  /** Attach `files` (File objects): checked, shown and uploaded by the tray. */
  add(files) {
    if (!this.enabled || !files.length) return
    // Offline when the tray is first needed: the reader hears the files did not go in.
    const failed = () => this.#host.say(this.#host.t('uploadFailed', {name: files.map(file => file.name).join(', ')}))
    this.#loadTray().then(tray => tray.add(files), failed)
  }

  /** The message's files: `{files, uploading, failed}` (see attachments.js). */
  status() {
    return this.#status?.() ?? {files: [], uploading: 0, failed: 0}
  }

  /** Take the tray's files for a message being sent; `restore()` puts them back. */
  take() {
    return this.#take?.() ?? []
  }

  /** Settles with a note naming the files that found no room again ('' if none). */
  restore(entries) {
    return entries.length ? this.#loadTray().then(tray => tray.restore(entries)) : Promise.resolve('')
  }

  /** `entries` were sent for good (a newer message went since). */
  release(entries) {
    if (entries.length) this.#trayValue?.release(entries)
  }

  #status = null
  #take = null
  #recorder = null // a promise of recorder.js's Recorder

  #loadRecorder() {
    this.#recorder ??= retried(
      import('./recorder.js').then(
        ({Recorder}) => new Recorder(this.#parts.micButton, {file: file => this.add([file]), say: this.#host.say, t: this.#host.t, learn: this.#host.learn}),
      ),
      () => (this.#recorder = null),
    )
    return this.#recorder
  }

  #loadTray() {
    this.#tray ??= retried(
      import('./attachments.js').then(({Tray}) => {
        const tray = new Tray(this.#parts.attachments, {uploadKey: this.#host.uploadKey, say: this.#host.say, t: this.#host.t})
        tray.configure(this.#config, this.#uploadURL)
        this.#status = () => tray.status()
        this.#take = () => tray.take()
        return (this.#trayValue = tray)
      }),
      () => (this.#tray = null),
    )
    return this.#tray
  }

  #paste(event) {
    if (!this.enabled) return
    const data = event.clipboardData
    const files = [...(data?.files ?? [])]
    if (files.length) {
      event.preventDefault()
      this.add(files)
      return
    }
    // Long text would swamp the box: it becomes a file, as in Gradio, when text files are taken.
    const text = data?.getData('text/plain') ?? ''
    const limit = this.#config.max_plain_text_length ?? 1000
    if (text.length > limit && !typeRefusal(this.#config, 'pasted-text.txt', 'text/plain', this.#host.t)) {
      event.preventDefault()
      this.add([new File([text], 'pasted-text.txt', {type: 'text/plain'})])
    }
  }
}

// A module that failed to load (offline) is forgotten, as lazy.js's Lazy does, so the next use
// tries again: `forget` drops the kept promise. The promise still rejects for its callers.
function retried(promise, forget) {
  promise.catch(forget)
  return promise
}
