// Shell completion. Each shell's script is a few lines that hand the words typed so far to
// `lakekey __complete SHELL CWORD WORDS...`; the candidates come from the command table, so the
// four shells complete the same commands, flags, flag values and profile names.
import { findCommand, GROUPS, KEYCHAIN_WORDS, SHELLS, subWords, topWords, COMMANDS, type CommandSpec } from './spec.js';

export type Shell = (typeof SHELLS)[number];

/**
 * The candidates for word `cword` of `words` (words[0] is "lakekey"), filtered by what is typed
 * there. With `describe` each is "word\tdescription" (fish shows descriptions).
 */
export function candidates(cword: number, words: string[], profiles: () => string[], describe = false): string[] {
  const cur = words[cword] ?? '';
  const out = (list: Array<[string, string]>) => list.filter(([w]) => w.startsWith(cur)).map(([w, d]) => (describe && d ? `${w}\t${d}` : w));
  const summaryOf = (word: string) => COMMANDS.find((c) => c.name === word)?.summary ?? GROUPS[word] ?? '';
  if (cword <= 0) return [];
  if (cword === 1) return out(topWords().map((w) => [w, summaryOf(w)]));
  let spec: CommandSpec | undefined;
  let argStart = 2;
  const first = words[1];
  if (first === 'help') {
    if (cword === 2)
      return out(
        topWords()
          .filter((w) => w !== 'help')
          .map((w) => [w, summaryOf(w)]),
      );
    return cword === 3 && GROUPS[words[2]] ? out(subWords(words[2]).map((w) => [w, summaryOf(`${words[2]} ${w}`)])) : [];
  }
  if (GROUPS[first]) {
    if (cword === 2) return out(subWords(first).map((w) => [w, summaryOf(`${first} ${w}`)]));
    spec = findCommand(`${first} ${words[2]}`);
    argStart = 3;
  } else spec = findCommand(first);
  if (!spec) return [];
  const typed = words.slice(argStart, cword);
  if (spec.passthrough && typed.includes('--')) return []; // the other command's words: the shell's own completion
  const flagOf = (w: string) => spec.flags.find((f) => `--${f.name}` === w);
  const prev = flagOf(words[cword - 1] ?? '');
  if (prev?.type === 'string' && cword - 1 >= argStart) return out((prev.choices ?? []).map((c) => [c, '']));
  if (cur.startsWith('-')) {
    const used = new Set(typed);
    return out([
      ...spec.flags.filter((f) => f.multiple || !used.has(`--${f.name}`)).map((f): [string, string] => [`--${f.name}`, f.help]),
      ['--help', 'show this help'],
    ]);
  }
  let index = 0;
  for (let i = 0; i < typed.length; i++) {
    const f = flagOf(typed[i]);
    if (f) i += f.type === 'string' ? 1 : 0;
    else if (!typed[i].startsWith('-')) index++;
  }
  if (index === 0 && spec.takesProfile) return out(profiles().map((p) => [p, 'profile']));
  if (index === 0 && spec.name === 'completion') return out(SHELLS.map((s) => [s, '']));
  if (index === 0 && spec.name === 'keychain') return out(KEYCHAIN_WORDS.map((k) => [k, k === 'os' ? 'the OS keychain' : 'the Linux kernel keyring']));
  return [];
}

export function completionScript(shell: Shell): string {
  switch (shell) {
    case 'bash':
      return `# lakekey completion for bash. Use: source <(lakekey completion bash)
_lakekey() {
  local IFS=$'\\n'
  COMPREPLY=($(command lakekey __complete bash "$COMP_CWORD" "\${COMP_WORDS[@]}" 2>/dev/null))
}
complete -o default -F _lakekey lakekey`;
    case 'zsh':
      return `#compdef lakekey
# lakekey completion for zsh. Use (after compinit): source <(lakekey completion zsh)
_lakekey() {
  local -a candidates
  candidates=("\${(@f)$(command lakekey __complete zsh $((CURRENT - 1)) "\${words[@]}" 2>/dev/null)}")
  if [[ -n "\${candidates[1]}" ]]; then
    compadd -- "\${candidates[@]}"
  else
    _files
  fi
}
compdef _lakekey lakekey`;
    case 'fish':
      return `# lakekey completion for fish. Use: lakekey completion fish > ~/.config/fish/completions/lakekey.fish
function __lakekey_complete
    set -l words (commandline -opc)
    command lakekey __complete fish (count $words) $words (commandline -ct) 2>/dev/null
end
complete -c lakekey -f -a '(__lakekey_complete)'`;
    case 'powershell':
      return `# lakekey completion for PowerShell. Use: lakekey completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName lakekey -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | ForEach-Object { $_.ToString() })
    if ($wordToComplete -eq '') { $words += '' }
    & lakekey __complete powershell ($words.Count - 1) @words 2>$null | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}`;
  }
}
