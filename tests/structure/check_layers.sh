#!/usr/bin/env bash
# Checks the project's layering: every quoted #include in a part's sources
# must resolve to a header of the same part or of a part it may use, so that
# nothing reaches sideways or upwards (README, "Layout").
# usage: check_layers.sh REPO_ROOT
set -u
root=${1:-.}
cd "$root" || exit 2
# part: the parts it may use (besides itself)
declare -A allowed=(
  [common]=""
  [io]="common"
  [datasets]="common io"
  [kernels]="common"
  [model]="common io datasets kernels"
  [parallel]="common io datasets kernels model"
  [train]="common io datasets kernels model parallel"
  [generate]="common io datasets kernels model parallel"
  [evaluate]="common io datasets"
)
# header file name -> the part that holds it
declare -A home=()
for part in "${!allowed[@]}"; do
  while IFS= read -r h; do
    name=$(basename "$h")
    if [ -n "${home[$name]:-}" ] && [ "${home[$name]}" != "$part" ]; then
      echo "header $name exists in both $part/ and ${home[$name]}/: includes by name are ambiguous"; bad=1
    fi
    home[$name]=$part
  done < <(find "$part" -name '*.h' -o -name '*.cuh' -o -name '*.hpp' 2>/dev/null)
done
bad=${bad:-0}
checked=0
for part in "${!allowed[@]}"; do
  while IFS= read -r src; do
    while IFS= read -r inc; do
      name=$(basename "$inc")
      owner=${home[$name]:-}
      [ -z "$owner" ] && continue   # a system or generated header
      checked=$((checked + 1))
      [ "$owner" = "$part" ] && continue
      case " ${allowed[$part]} " in
        *" $owner "*) ;;
        *) echo "$src includes $inc from $owner/, which $part/ may not use (allowed: ${allowed[$part]:-nothing})"; bad=1 ;;
      esac
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$src")
  done < <(find "$part" \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' -o -name '*.cpp' -o -name '*.hpp' \) 2>/dev/null)
done
if [ "$checked" -lt 100 ]; then echo "only $checked includes checked: is $root the repository?"; exit 1; fi
[ "$bad" = 0 ] && echo "layers: $checked project includes checked, none reaches sideways or upwards"
exit "$bad"
