import type { Argument, Command, Option } from 'commander';

/**
 * Shell completion scripts, written from the commands and options commander knows, so that they
 * never fall behind the CLI: `eval "$(vnfctl completion bash)"`, or `source <(vnfctl completion zsh)`.
 */
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

/** options whose value is a file name */
const FILE_OPTIONS = new Set(['--creds', '--tls-ca']);
/** command arguments that are file names */
const FILE_ARGS = new Set(['file']);

const flags = (o: Option) => [o.short, o.long].filter((f): f is string => !!f);
const takesValue = (o: Option) => o.required || o.optional;
const choices = (o: Option | Argument) => (o as { argChoices?: string[] }).argChoices;

export function completion(program: Command, shell: Shell): string {
  return shell === 'bash' ? bash(program) : zsh(program);
}

function bash(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^a-zA-Z0-9]/g, '_')}`;
  const globals = program.options.flatMap(flags);
  const valued = program.options.filter(takesValue).flatMap(flags);
  const all = [program, ...program.commands];
  const prevCases = all
    .flatMap((c) => c.options)
    .filter(takesValue)
    .map((o) => {
      const c = choices(o);
      const reply = c ? `compgen -W "${c.join(' ')}" -- "$cur"` : FILE_OPTIONS.has(o.long ?? '') ? 'compgen -f -- "$cur"' : '';
      return reply ? `    ${flags(o).join('|')}) COMPREPLY=( $(${reply}) ); return ;;` : `    ${flags(o).join('|')}) return ;;`;
    });
  const cmdCases = program.commands.map((c) => {
    const opts = c.options.flatMap(flags).join(' ');
    const arg = c.registeredArguments[0];
    const words = arg && choices(arg) ? `compgen -W "${choices(arg)!.join(' ')}" -- "$cur"` : arg && FILE_ARGS.has(arg.name()) ? 'compgen -f -- "$cur"' : '';
    return `    ${c.name()}) opts="${opts}"; words='${words}' ;;`;
  });
  return `# ${name} completion for bash: eval "$(${name} completion bash)" in ~/.bashrc,
# or ${name} completion bash > /etc/bash_completion.d/${name}
${fn}() {
  local cur prev cmd="" opts="" words="" i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev="\${COMP_WORDS[COMP_CWORD-1]}"
  case "$prev" in
${[...new Set(prevCases)].join('\n')}
  esac
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      ${valued.join('|')}) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${[...globals, '--version', '--help'].join(' ')}" -- "$cur") )
    else COMPREPLY=( $(compgen -W "${program.commands.map((c) => c.name()).join(' ')}" -- "$cur") ); fi
    return
  fi
  case "$cmd" in
${cmdCases.join('\n')}
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "$opts ${globals.join(' ')} --help" -- "$cur") )
  elif [[ -n "$words" ]]; then COMPREPLY=( $(eval "$words") ); fi
}
complete -o default -F ${fn} ${name}
`;
}

/** text inside a zsh `[description]` or `name:description`, within single quotes */
const zq = (s: string) => s.replace(/([:[\]\\])/g, '\\$1').replace(/'/g, `'\\''`);

function zspec(o: Option): string[] {
  const c = choices(o);
  const value = !takesValue(o) ? '' : c ? `:value:(${c.join(' ')})` : FILE_OPTIONS.has(o.long ?? '') ? ':file:_files' : ':value: ';
  return flags(o).map((f) => `'${f}[${zq(o.description)}]${value}'`);
}

function zsh(program: Command): string {
  const name = program.name();
  const fn = `_${name.replace(/[^a-zA-Z0-9]/g, '_')}`;
  const globals = [...program.options.flatMap(zspec), `'--version[print the version and exit]'`];
  const cases = program.commands.map((c) => {
    const args = c.registeredArguments.map((a, i) => {
      const ch = choices(a);
      const action = ch ? `(${ch.join(' ')})` : FILE_ARGS.has(a.name()) ? '_files' : ' ';
      return `'${a.required ? '' : ':'}${i + 1}:${zq(a.name())}:${action}'`;
    });
    return `      ${c.name()}) _arguments ${[...c.options.flatMap(zspec), ...program.options.flatMap(zspec), ...args].join(' ')} ;;`;
  });
  return `#compdef ${name}
# ${name} completion for zsh: source <(${name} completion zsh) in ~/.zshrc (after compinit),
# or ${name} completion zsh > "\${fpath[1]}/_${name}"
${fn}() {
  local curcontext="$curcontext" state line
  local -a commands
  commands=(
${program.commands.map((c) => `    '${zq(c.name())}:${zq(c.description())}'`).join('\n')}
  )
  _arguments -C ${globals.join(' ')} '1: :->command' '*:: :->args'
  case $state in
    command) _describe 'command' commands ;;
    args)
      case $words[1] in
${cases.join('\n')}
      esac ;;
  esac
}
if [[ "\${zsh_eval_context[-1]}" == loadautofunc ]]; then ${fn} "$@"; else compdef ${fn} ${name}; fi
`;
}
