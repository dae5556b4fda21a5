# Sourced by the scripts in this folder for --help: usage prints the calling script's header comment (the
# lines from the top up to the first line that is not a comment), with bash builtins only, so that --help
# works before anything is installed or built.
usage() {
  local line
  while IFS= read -r line; do
    [[ $line == '#!'* ]] && continue
    [[ $line == '#'* ]] || break
    line=${line#'#'}
    printf '%s\n' "${line# }"
  done <"${BASH_SOURCE[1]}"
}
