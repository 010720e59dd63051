#pragma once
/// A look at a plugin file before dlopen() maps it. The dynamic linker trusts the ELF headers:
/// a truncated file (a build interrupted while writing the library) whose program headers point
/// past its end is mapped anyway, and the first access to the missing pages kills the process
/// with SIGBUS inside dlopen(). check_elf_library() reads only the headers, with bounds checks.
#include <filesystem>
#include <optional>
#include <string>

namespace dfkd::host {

/// nullopt if `file` is an ELF shared library for this machine (class, byte order, machine) whose
/// size covers its ELF header, its program header table, every PT_LOAD segment's file bytes and
/// its section header table. Otherwise what is wrong, as "<what>: expected <x>, found <y>; <what
/// to do>" or "truncated: the file is N bytes but its <part> needs M; <what to do>".
std::optional<std::string> check_elf_library(const std::filesystem::path& file);

}  // namespace dfkd::host
