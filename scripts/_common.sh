# Shared by scripts/run and scripts/test: find Python 3.11 and keep .venv in step with pyproject.toml.
find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Python 3.11 is required (found: $(python3 --version 2>&1 || echo none))." >&2
    echo "Install it (e.g. apt-get install python3.11 python3.11-venv, or pyenv install 3.11)." >&2
    return 1
}

# ensure_venv EXTRAS: create .venv and install the project with the given extras ("" or "[dev]").
ensure_venv() {
    local extras="$1" stamp=".venv/.installed$1"
    if [ ! -x .venv/bin/python ]; then
        local py
        py=$(find_python)
        echo "Creating .venv with $py ..."
        "$py" -m venv .venv
        .venv/bin/python -m pip install --quiet --upgrade pip
    fi
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "Installing dependencies$extras ..."
        .venv/bin/python -m pip install --quiet -e ".$extras"
        touch "$stamp"
    fi
}
