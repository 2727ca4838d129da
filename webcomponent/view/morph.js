// Bring existing DOM to new server HTML while keeping every node that stays the same.
//
// Re-rendering the open block of a streaming message, or finishing it, replaces HTML that
// mostly did not change. Swapping the nodes would re-create an <img>, <audio> or <video>
// on every patch (and fetch it again), reset a <details> the reader opened, and lose a
// selection. Morphing walks old and new nodes side by side: a node of the same kind and tag
// is kept (its attributes and children brought up to date), any other is replaced. The
// work is linear in the size of the HTML, like parsing it.

const TEXT = Node.TEXT_NODE
const COMMENT = Node.COMMENT_NODE
// State the reader changes and the server never sends: left as the reader set it.
const READER_STATE = new Set(['open'])

/**
 * Make the run of `parent`'s children `oldNodes` (contiguous, in order) look like
 * `newNodes` (detached, e.g. a parsed fragment's). Returns the nodes now in their place.
 */
export function morphNodes(parent, oldNodes, newNodes) {
  const after = oldNodes.length ? oldNodes[oldNodes.length - 1].nextSibling : null
  const result = []
  const shared = Math.min(oldNodes.length, newNodes.length)
  for (let i = 0; i < shared; i++) {
    const current = oldNodes[i]
    const next = newNodes[i]
    if (sameKind(current, next) && morphNode(current, next) !== false) {
      result.push(current)
    } else {
      parent.replaceChild(next, current)
      result.push(next)
    }
  }
  for (let i = shared; i < oldNodes.length; i++) oldNodes[i].remove()
  for (let i = shared; i < newNodes.length; i++) {
    parent.insertBefore(newNodes[i], after)
    result.push(newNodes[i])
  }
  return result
}

/** Morph all of `element`'s children to those of `fragment`. */
export function morphChildren(element, fragment) {
  morphNodes(element, [...element.childNodes], [...fragment.childNodes])
}

function sameKind(a, b) {
  if (a.nodeType !== b.nodeType) return false
  if (a.nodeType !== Node.ELEMENT_NODE) return true
  // A media element whose source changed is a new one: the browser would reload it anyway.
  return a.namespaceURI === b.namespaceURI && a.nodeName === b.nodeName && (!isMedia(a) || sameSource(a, b))
}

function isMedia(node) {
  return node.nodeName === 'IMG' || node.nodeName === 'AUDIO' || node.nodeName === 'VIDEO' || node.nodeName === 'IFRAME'
}

function sameSource(a, b) {
  return a.getAttribute('src') === b.getAttribute('src')
}

function morphNode(current, next) {
  if (current.nodeType === TEXT || current.nodeType === COMMENT) {
    if (current.data !== next.data) current.data = next.data
    return
  }
  if (current.nodeType !== Node.ELEMENT_NODE) return
  try {
    syncAttributes(current, next)
  } catch {
    // Trusted Types refuse a string for an on* attribute or srcdoc (only HTML of sanitize_html=False
    // has them): the parsed node, which came through the policy, takes this one's place.
    return false
  }
  morphNodes(current, [...current.childNodes], [...next.childNodes])
}

function syncAttributes(current, next) {
  for (const {name} of [...current.attributes]) {
    if (!next.hasAttribute(name) && !READER_STATE.has(name)) current.removeAttribute(name)
  }
  for (const {name, value} of next.attributes) {
    if (current.getAttribute(name) !== value) current.setAttribute(name, value)
  }
}
