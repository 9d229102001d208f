// Checks every ```mermaid block of the Markdown files given as arguments, offline.
//
// Syntax: @mermaid-js/parser (the Langium grammars mermaid itself uses). It has no
// `flowchart` grammar (that parser lives in the full `mermaid` package and needs a
// browser DOM), so a block of a type it cannot parse is a finding: scaffold draws its
// diagrams as `architecture-beta`, which it does parse.
//
// Semantics: for architecture diagrams, the checks mermaid's renderer makes when it
// builds the diagram (ids unique, parents declared before use and being groups,
// edges between declared services or junctions, group edges only from grouped
// services), so a block that passes here also renders.
//
// Output: one finding per line, `file:line: message`; exit 0 when the run worked
// (findings or not), 2 when the checker itself failed.
import { readFileSync } from 'node:fs';
import { parse } from '@mermaid-js/parser';

/** Diagram header keyword → the parser's diagram type. */
const TYPES = new Map([
  ['architecture-beta', 'architecture'],
  ['info', 'info'],
  ['packet', 'packet'],
  ['packet-beta', 'packet'],
  ['pie', 'pie'],
  ['gitGraph', 'gitGraph'],
  ['radar-beta', 'radar'],
  ['treemap', 'treemap'],
  ['treemap-beta', 'treemap'],
]);

/** The mermaid blocks of a Markdown text: { line, source }. */
function blocks(text) {
  const out = [];
  const lines = text.split('\n');
  let open = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^(\s*)(`{3,}|~{3,})\s*(\S*)/);
    if (open === null && fence) {
      open = { marker: fence[2], mermaid: fence[3] === 'mermaid', line: i + 1, body: [] };
    } else if (open !== null && line.trim().startsWith(open.marker) && line.trim().replace(/[`~]/g, '') === '') {
      if (open.mermaid) out.push({ line: open.line, source: open.body.join('\n') + '\n' });
      open = null;
    } else if (open !== null) {
      open.body.push(line);
    }
  }
  return out;
}

/** The diagram keyword: the first line that is not blank, a comment or front matter. */
function keyword(source) {
  for (const line of source.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('%%')) continue;
    return trimmed.split(/[\s:]/)[0];
  }
  return '';
}

/** The renderer's checks for an architecture diagram's AST. */
function architectureProblems(ast) {
  const problems = [];
  const kinds = new Map();
  const parents = new Map();
  const offsets = new Map();
  const declare = (node, kind) => {
    if (kinds.has(node.id)) {
      problems.push(`id \`${node.id}\` is declared twice`);
    }
    if (node.in !== undefined) {
      if (node.in === node.id) problems.push(`\`${node.id}\` is placed in itself`);
      else if (!kinds.has(node.in)) problems.push(`\`${node.id}\` is in \`${node.in}\`, which is not declared before it`);
      else if (kinds.get(node.in) !== 'group') problems.push(`\`${node.id}\` is in \`${node.in}\`, which is not a group`);
    }
    kinds.set(node.id, kind);
    parents.set(node.id, node.in);
    offsets.set(node.id, node.$cstNode.offset);
  };
  // The AST lists groups, services and junctions separately; declaration order
  // matters to the renderer, so replay them in source order.
  const nodes = [
    ...ast.groups.map((n) => ({ n, kind: 'group' })),
    ...ast.services.map((n) => ({ n, kind: 'service' })),
    ...ast.junctions.map((n) => ({ n, kind: 'junction' })),
  ].sort((a, b) => a.n.$cstNode.offset - b.n.$cstNode.offset);
  for (const { n, kind } of nodes) declare(n, kind);
  for (const edge of ast.edges) {
    for (const [id, grouped] of [[edge.lhsId, edge.lhsGroup], [edge.rhsId, edge.rhsGroup]]) {
      const kind = kinds.get(id);
      if (kind === undefined) problems.push(`edge end \`${id}\` is not declared`);
      else if (offsets.get(id) > edge.$cstNode.offset) problems.push(`edge end \`${id}\` is declared after the edge`);
      else if (kind === 'group') problems.push(`edge end \`${id}\` is a group, not a service or junction`);
      else if (grouped && parents.get(id) === undefined) problems.push(`edge end \`${id}{group}\` is not in a group`);
    }
    if (edge.lhsGroup && edge.rhsGroup && parents.get(edge.lhsId) === parents.get(edge.rhsId)) {
      problems.push(`group edge between \`${edge.lhsId}\` and \`${edge.rhsId}\` stays inside one group`);
    }
  }
  return problems;
}

let failed = false;
for (const file of process.argv.slice(2)) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`${file}: ${err.message}`);
    failed = true;
    continue;
  }
  for (const block of blocks(text)) {
    const word = keyword(block.source);
    const type = TYPES.get(word);
    if (type === undefined) {
      console.log(`${file}:${block.line}: mermaid diagram type \`${word}\` cannot be checked offline; use one of ${[...TYPES.keys()].join(', ')}`);
      continue;
    }
    try {
      const ast = await parse(type, block.source);
      if (type === 'architecture') {
        for (const problem of architectureProblems(ast)) console.log(`${file}:${block.line}: ${problem}`);
      }
    } catch (err) {
      console.log(`${file}:${block.line}: ${String(err.message).split('\n').join(' ')}`);
    }
  }
}
process.exit(failed ? 2 : 0);
