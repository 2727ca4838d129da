// A multimodal chat's files, as the message box sees them. All of the work is in attach.js
// (and the tray and recorder it loads), fetched only once config.json says the chat takes
// files: a chat of text downloads none of it.

import {Lazy} from '../core/lazy.js'

const NONE = Object.freeze({files: [], uploading: 0, failed: 0})

/**
 *     const files = new FileIntake(parts, {uploadKey, say, t})
 *     files.connect(signal)
 *     files.configure(config, uploadURL)
 *     files.status()   // {files, uploading, failed} (attach.js)
 */
export class FileIntake {
  #intake
  #signal = null

  constructor(parts, host) {
    const load = module => {
      const intake = new module.AttachIntake(parts, host)
      if (this.#signal && !this.#signal.aborted) intake.connect(this.#signal)
      return intake
    }
    this.#intake = new Lazy(() => import('./attach.js').then(load))
  }

  connect(signal) {
    this.#signal = signal
    this.#intake.value?.connect(signal)
  }

  configure(config, uploadURL) {
    if (config.multimodal || this.#intake.value) this.#intake.use(intake => intake.configure(config, uploadURL))
  }

  status() {
    return this.#intake.value?.status() ?? NONE
  }

  take() {
    return this.#intake.value?.take() ?? []
  }

  /** Settles with a note naming the files that found no room again ('' if none). */
  restore(entries) {
    return entries.length && this.#intake.value ? this.#intake.value.restore(entries) : Promise.resolve('')
  }

  release(entries) {
    this.#intake.value?.release(entries)
  }
}
