#include "evidence/kernel_text.hpp"

#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/error.hpp"

namespace copylab::trace {
namespace {

class ReadFd {
 public:
  explicit ReadFd(const std::string& path) : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ReadFd(const ReadFd&) = delete;
  ReadFd& operator=(const ReadFd&) = delete;
  ~ReadFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

bool read_exact(int fd, void* buf, std::size_t len, off_t off) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t n = ::pread(fd, p, len, off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
    off += n;
  }
  return true;
}

}  // namespace

std::vector<std::uint8_t> read_kernel_text(std::uint64_t addr, std::size_t len,
                                           const std::string& kcore) {
  const ReadFd fd(kcore);
  if (fd.get() < 0)
    throw_errno("open", kcore, errno,
                "run as root on a kernel with CONFIG_PROC_KCORE and no confidentiality lockdown");
  Elf64_Ehdr eh{};
  if (!read_exact(fd.get(), &eh, sizeof(eh), 0) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
      eh.e_ident[EI_CLASS] != ELFCLASS64)
    throw Error(fmt::format("{} is not a 64-bit ELF core", kcore), "check /proc/kcore");
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    const auto off = static_cast<off_t>(eh.e_phoff + i * static_cast<std::uint64_t>(eh.e_phentsize));
    if (!read_exact(fd.get(), &ph, sizeof(ph), off)) break;
    if (ph.p_type != PT_LOAD || addr < ph.p_vaddr || addr + len > ph.p_vaddr + ph.p_memsz) continue;
    std::vector<std::uint8_t> out(len);
    if (!read_exact(fd.get(), out.data(), len, static_cast<off_t>(ph.p_offset + (addr - ph.p_vaddr))))
      throw_errno("read", fmt::format("{} at {:#x}", kcore, addr), errno ? errno : EIO,
                  "the kernel refused to read its text through /proc/kcore");
    return out;
  }
  throw Error(fmt::format("{:#x} is in no segment of {}", addr, kcore),
              "check that kallsyms and kcore belong to the running kernel");
}

std::vector<std::uint32_t> find_call_sites(std::span<const std::uint8_t> code, std::uint64_t base,
                                           std::uint64_t target) {
  std::vector<std::uint32_t> sites;
  for (std::size_t i = 0; i + 5 <= code.size(); ++i) {
    if (code[i] != 0xe8 && code[i] != 0xe9) continue;
    std::uint32_t raw = 0;
    std::memcpy(&raw, &code[i + 1], sizeof(raw));  // little endian, as x86-64
    const auto rel = static_cast<std::int32_t>(raw);
    const std::uint64_t next = base + i + 5;
    if (next + static_cast<std::uint64_t>(static_cast<std::int64_t>(rel)) == target)
      sites.push_back(static_cast<std::uint32_t>(i));
  }
  return sites;
}

}  // namespace copylab::trace
