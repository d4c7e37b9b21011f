"""Keep pytest's rootdir when a path option of this plugin is given as `--store DIR`.

pytest picks its rootdir and configuration file before it loads installed
plugins, so in `pytest -m claims --store /shared/runs` it reads `/shared/runs`
as a test path: the rootdir becomes `/shared/runs` and the checkout's
pyproject.toml (markers, addopts, testpaths) is never read.  `--store=DIR` is
unaffected.  Once the plugin's options are known (`pytest_load_initial_conftests`,
before any conftest), `restore_rootdir` repeats pytest's own choice without the
option values and, where it differs, adopts it with its configuration file and
that file's `addopts`.  It touches pytest internals, so any surprise leaves
pytest's choice as it was, with a warning that names the `--store=DIR` form.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest

#: this plugin's options that take a path
PATH_FLAGS = ("--store", "--data-dir", "--report")


def _values_taken_as_paths(args: list[str]) -> list[str]:
    """Values of PATH_FLAGS given as a separate word (`--store DIR`), which pytest took for test paths."""
    return [args[i + 1] for i, word in enumerate(args[:-1]) if word in PATH_FLAGS]


def restore_rootdir(config, args: list[str]) -> Path | None:
    """Redo pytest's rootdir and ini-file choice without this plugin's option values; return the new
    rootdir when it changed (None when nothing needed changing)."""
    ns = config.known_args_namespace
    if not _values_taken_as_paths(args) or ns.rootdir or ns.inifilename:
        return None
    try:
        from _pytest.config.findpaths import determine_setup
        found = determine_setup(inifile=None, override_ini=ns.override_ini, args=ns.file_or_dir,
                                rootdir_cmd_arg=None, invocation_dir=config.invocation_params.dir)
        rootpath, inipath, inicfg = found[:3]
        if rootpath == config.rootpath and inipath == config.inipath:
            return None
        old_cut = str(config.inipath.parent if config.inipath else config.rootpath)
        config._rootpath, config._inipath, config._inicfg = rootpath, inipath, inicfg
        config._inicache.clear()
        config._parser.extra_info.update(rootdir=str(rootpath), inifile=str(inipath))
        if ns.confcutdir == old_cut:
            ns.confcutdir = str(inipath.parent if inipath else rootpath)
        addopts = config._validate_args(config.getini("addopts"), "via addopts config")
        args[:] = addopts + args
        cut = ns.confcutdir
        config.known_args_namespace = config._parser.parse_known_args(args, namespace=copy.copy(config.option))
        config.known_args_namespace.confcutdir = cut
    except Exception as err:  # pytest internals differ: keep pytest's choice, say so once
        config.issue_config_time_warning(pytest.PytestConfigWarning(
            f"could not keep the rootdir for --store/--data-dir/--report given as a separate word ({err!r}); "
            "write them as --store=DIR"), stacklevel=2)
        return None
    return rootpath
