// Where `tail_text` goes in a streaming message (docs/protocol.md, `patch`): the insertion
// point of its open block. Text appended there renders as the server would render it.

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

/**
 * The tail's insertion point: from the tail container, descend into the last meaningful
 * child while it is one of ENTERED. null means the container itself.
 */
export function insertionPoint(tail) {
  let point = null
  let node = lastMeaningful(tail)
  while (isEntered(node)) {
    point = node
    node = lastMeaningfulChild(node)
  }
  return point
}
