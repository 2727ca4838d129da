// Recording from the microphone (config.sources holds "microphone"): the reader's voice
// becomes an audio file attached to the message like any other. Loaded on the first press
// of the microphone button by attach.js; it imports only modules without state.

import {icon} from '../core/icons.js'

// The recorder's texts in English (strings.js's rule).
export const RECORDER_TEXT = Object.freeze({
  stopRecording: 'Stop recording and attach it',
  noMicrophone: 'Nothing was recorded: no microphone was found.',
  microphoneRefused: 'Nothing was recorded: permission to use it was refused.',
})
const TYPES = ['audio/webm;codecs=opus', 'audio/webm', 'audio/ogg;codecs=opus', 'audio/mp4']
const EXTENSIONS = {'audio/webm': 'webm', 'audio/ogg': 'ogg', 'audio/mp4': 'm4a'}

/**
 *     const recorder = new Recorder(button, {file: f => attach([f]), say: text => ..., t: (name, values) => text})
 *     recorder.toggle()  // start; again: stop, and `file` gets the recording
 */
export class Recorder {
  #button
  #host
  #recorder = null
  #timer = 0

  constructor(button, host) {
    this.#button = button
    this.#host = host
    host.learn(RECORDER_TEXT)
  }

  get recording() {
    return this.#recorder !== null
  }

  async toggle() {
    if (this.#recorder) this.#recorder.stop()
    else await this.#start()
  }

  async #start() {
    let stream
    try {
      stream = await navigator.mediaDevices.getUserMedia({audio: true})
    } catch (error) {
      this.#host.say(this.#host.t(error?.name === 'NotAllowedError' ? 'microphoneRefused' : 'noMicrophone'))
      return
    }
    const type = TYPES.find(t => MediaRecorder.isTypeSupported(t))
    const recorder = (this.#recorder = new MediaRecorder(stream, type ? {mimeType: type} : {}))
    const chunks = []
    const started = Date.now()
    recorder.addEventListener('dataavailable', event => event.data.size && chunks.push(event.data))
    recorder.addEventListener('stop', () => {
      for (const track of stream.getTracks()) track.stop() // the browser's "recording" light goes off
      clearInterval(this.#timer)
      this.#recorder = null
      this.#show(null)
      const mime = (recorder.mimeType || type || 'audio/webm').split(';')[0]
      const stamp = new Date(started).toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')
      const name = `recording-${stamp}.${EXTENSIONS[mime] ?? 'webm'}`
      if (chunks.length) this.#host.file(new File(chunks, name, {type: mime}))
    })
    recorder.start()
    this.#show(started)
    this.#timer = setInterval(() => this.#show(started), 500)
  }

  // The button while recording: a stop sign and the time so far; else the microphone.
  #show(started) {
    const button = this.#button
    button.toggleAttribute('data-recording', started !== null)
    button.setAttribute('aria-pressed', String(started !== null))
    // Its names (strings.js): locale.js puts them in the element's language.
    const label = started === null ? 'record' : 'stopRecording'
    button.setAttribute('data-t-label', label)
    button.setAttribute('data-t-title', label)
    button.setAttribute('aria-label', this.#host.t(label))
    button.title = this.#host.t(label)
    if (started === null) {
      button.replaceChildren(icon('mic'))
      return
    }
    const seconds = Math.floor((Date.now() - started) / 1000)
    const elapsed = document.createElement('span')
    elapsed.className = 'record-time'
    elapsed.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
    button.replaceChildren(icon('stop'), elapsed)
  }
}
