#include "loader/elf_check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

namespace dfkd::host {
namespace {

constexpr const char* kRebuild =
    "was the build interrupted? rebuild the plugin (or move this file out of the plugin search "
    "path)";

#if UINTPTR_MAX == UINT64_MAX
constexpr unsigned char kHostClass = ELFCLASS64;
using Ehdr = Elf64_Ehdr;
using Phdr = Elf64_Phdr;
using Shdr = Elf64_Shdr;
#else
constexpr unsigned char kHostClass = ELFCLASS32;
using Ehdr = Elf32_Ehdr;
using Phdr = Elf32_Phdr;
using Shdr = Elf32_Shdr;
#endif

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
constexpr unsigned char kHostData = ELFDATA2LSB;
#else
constexpr unsigned char kHostData = ELFDATA2MSB;
#endif

/// e_machine of the code this host runs; 0 = not known here (the check is skipped).
constexpr uint16_t kHostMachine =
#if defined(__x86_64__)
    EM_X86_64;
#elif defined(__aarch64__)
    EM_AARCH64;
#elif defined(__i386__)
    EM_386;
#elif defined(__arm__)
    EM_ARM;
#elif defined(__powerpc64__)
    EM_PPC64;
#elif defined(__riscv)
    EM_RISCV;
#elif defined(__s390x__)
    EM_S390;
#else
    0;
#endif

std::string class_name(unsigned c) {
  switch (c) {
    case ELFCLASS32:
      return "ELF32 (32-bit)";
    case ELFCLASS64:
      return "ELF64 (64-bit)";
  }
  return fmt::format("class {}", c);
}

std::string data_name(unsigned d) {
  switch (d) {
    case ELFDATA2LSB:
      return "little-endian";
    case ELFDATA2MSB:
      return "big-endian";
  }
  return fmt::format("byte order {}", d);
}

std::string machine_name(unsigned m) {
  switch (m) {
    case EM_X86_64:
      return "x86-64";
    case EM_AARCH64:
      return "AArch64";
    case EM_386:
      return "i386";
    case EM_ARM:
      return "ARM";
    case EM_PPC64:
      return "PowerPC64";
    case EM_RISCV:
      return "RISC-V";
    case EM_S390:
      return "S/390";
  }
  return fmt::format("machine {}", m);
}

std::string type_name(unsigned t) {
  switch (t) {
    case ET_NONE:
      return "an ELF file of no type";
    case ET_REL:
      return "a relocatable object file (.o)";
    case ET_EXEC:
      return "an executable";
    case ET_DYN:
      return "a shared library";
    case ET_CORE:
      return "a core dump";
  }
  return fmt::format("an ELF file of type {}", t);
}

std::string truncated(uint64_t size, const std::string& part, uint64_t need) {
  return fmt::format("truncated: the file is {} bytes but its {} need{} {}; {}", size, part,
                     part.back() == 's' ? "" : "s", need, kRebuild);
}

/// offset + count * entry_size, or UINT64_MAX when that does not fit (certainly past the end).
uint64_t table_end(uint64_t offset, uint64_t count, uint64_t entry_size) {
  if (entry_size != 0 && count > (UINT64_MAX - offset) / entry_size) return UINT64_MAX;
  return offset + count * entry_size;
}

/// Reads exactly `n` bytes at `offset`; the caller has checked that the file is long enough.
bool read_at(int fd, void* out, size_t n, uint64_t offset) {
  auto* p = static_cast<char*>(out);
  while (n > 0) {
    const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
    offset += static_cast<uint64_t>(got);
  }
  return true;
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

using Problem = std::optional<std::string>;

std::string read_error() {
  return fmt::format("cannot read the file: {}", std::strerror(errno));
}

/// The file's size, or what keeps it from being read as a regular file.
Problem regular_file_size(int fd, uint64_t& size) {
  if (fd < 0) return fmt::format("cannot open the file: {}", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) return fmt::format("cannot stat the file: {}", std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return std::string("expected a regular file, found something else");
  size = static_cast<uint64_t>(st.st_size);
  return std::nullopt;
}

/// e_ident: magic, class, byte order.
Problem check_identification(int fd, uint64_t size) {
  unsigned char ident[EI_NIDENT] = {};
  const size_t ident_bytes = size < EI_NIDENT ? static_cast<size_t>(size) : EI_NIDENT;
  if (!read_at(fd, ident, ident_bytes, 0)) return read_error();
  if (size == 0)
    return fmt::format("expected an ELF shared library, found an empty file; {}", kRebuild);
  if (size < SELFMAG || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    std::string found;
    for (size_t i = 0; i < SELFMAG && i < ident_bytes; ++i)
      found += fmt::format("{}{:02x}", i ? " " : "", ident[i]);
    return fmt::format(
        "expected an ELF shared library (starting 7f 45 4c 46), found a file "
        "starting {}; only compiled plugins belong in the plugin search path: "
        "move this file out of it",
        found);
  }
  if (size < EI_NIDENT) return truncated(size, "ELF header", sizeof(Ehdr));
  if (ident[EI_CLASS] != kHostClass)
    return fmt::format(
        "ELF class: expected {} like this dfkd, found {}; rebuild the plugin for "
        "this machine",
        class_name(kHostClass), class_name(ident[EI_CLASS]));
  if (ident[EI_DATA] != kHostData)
    return fmt::format(
        "byte order: expected {} like this dfkd, found {}; rebuild the plugin for "
        "this machine",
        data_name(kHostData), data_name(ident[EI_DATA]));
  if (size < sizeof(Ehdr)) return truncated(size, "ELF header", sizeof(Ehdr));
  return std::nullopt;
}

/// The ELF header's type and machine.
Problem check_type_and_machine(const Ehdr& eh) {
  if (eh.e_type != ET_DYN)
    return fmt::format(
        "ELF type: expected a shared library (ET_DYN), found {}; build plugins "
        "with dfkd_add_plugin() (a shared library)",
        type_name(eh.e_type));
  if (kHostMachine != 0 && eh.e_machine != kHostMachine)
    return fmt::format(
        "machine: expected {} like this dfkd, found {}; rebuild the plugin for "
        "this machine",
        machine_name(kHostMachine), machine_name(eh.e_machine));
  return std::nullopt;
}

/// The section and program header counts. Read from the section header table first: with more
/// than 0xfffe entries the counts live in its entry 0.
Problem read_header_counts(int fd, const Ehdr& eh, uint64_t size, uint64_t& shnum,
                           uint64_t& phnum) {
  shnum = eh.e_shnum;
  phnum = eh.e_phnum;
  if (eh.e_shoff == 0) {
    shnum = 0;
    return std::nullopt;
  }
  if (eh.e_shentsize != sizeof(Shdr))
    return fmt::format(
        "section header size: expected {}, found {}; the file is corrupt: "
        "rebuild the plugin",
        sizeof(Shdr), eh.e_shentsize);
  if (shnum == 0 || phnum == PN_XNUM) {
    if (table_end(eh.e_shoff, 1, sizeof(Shdr)) > size)
      return truncated(size, "section headers", table_end(eh.e_shoff, 1, sizeof(Shdr)));
    Shdr first{};
    if (!read_at(fd, &first, sizeof first, eh.e_shoff)) return read_error();
    if (shnum == 0) shnum = first.sh_size;
    if (phnum == PN_XNUM) phnum = first.sh_info;
  }
  return std::nullopt;
}

/// The program header table, then every loadable segment's bytes, lie inside the file.
Problem check_program_headers(int fd, const Ehdr& eh, uint64_t phnum, uint64_t size) {
  if (phnum > 0 && eh.e_phentsize != sizeof(Phdr))
    return fmt::format(
        "program header size: expected {}, found {}; the file is corrupt: rebuild "
        "the plugin",
        sizeof(Phdr), eh.e_phentsize);
  const uint64_t ph_end = table_end(eh.e_phoff, phnum, sizeof(Phdr));
  if (ph_end > size) return truncated(size, "program headers", ph_end);
  std::vector<Phdr> phdrs(static_cast<size_t>(phnum));
  if (phnum > 0 && !read_at(fd, phdrs.data(), phdrs.size() * sizeof(Phdr), eh.e_phoff))
    return read_error();
  for (size_t i = 0; i < phdrs.size(); ++i) {
    const Phdr& p = phdrs[i];
    if (p.p_type != PT_LOAD) continue;
    const uint64_t end = table_end(p.p_offset, 1, p.p_filesz);
    if (end > size)
      return truncated(
          size,
          fmt::format("loadable segment (program header {}: PT_LOAD at offset {}, "
                      "{} bytes)",
                      i, static_cast<uint64_t>(p.p_offset), static_cast<uint64_t>(p.p_filesz)),
          end);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_elf_library(const std::filesystem::path& file) {
  Fd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  uint64_t size = 0;
  if (auto problem = regular_file_size(f.fd, size)) return problem;
  if (auto problem = check_identification(f.fd, size)) return problem;
  Ehdr eh{};
  if (!read_at(f.fd, &eh, sizeof eh, 0)) return read_error();
  if (auto problem = check_type_and_machine(eh)) return problem;
  uint64_t shnum = 0, phnum = 0;
  if (auto problem = read_header_counts(f.fd, eh, size, shnum, phnum)) return problem;
  if (auto problem = check_program_headers(f.fd, eh, phnum, size)) return problem;
  const uint64_t sh_end = table_end(eh.e_shoff, shnum, sizeof(Shdr));
  if (sh_end > size) return truncated(size, "section headers", sh_end);
  return std::nullopt;
}

}  // namespace dfkd::host
