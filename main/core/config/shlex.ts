// How botocore reads a words-of-a-line value (a section header, credential_process): Python's
// shlex. Kept apart from main/shared/browser-command.ts's splitCommand on purpose: a --browser value
// keeps its backslashes (Windows paths under WSL), where shlex would eat them.

/** Python's shlex.split (POSIX mode, no comments); undefined where it would raise. */
export function shellSplit(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = c === "'" ? text.indexOf("'", i + 1) : findDoubleQuoteEnd(text, i + 1);
      if (close === -1) return undefined;
      const inner = text.slice(i + 1, close);
      word += c === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
      inWord = true;
      i = close;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return undefined;
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function findDoubleQuoteEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
