#include "kmod/backend/module_file.hpp"

#include <cerrno>
#include <fstream>
#include <iterator>
#include <string_view>

#include "common/error.hpp"

namespace copylab::kmod {
namespace {

// The NUL-terminated .modinfo string starting "<key>=" (modinfo entries are "key=value\0").
std::string modinfo_value(const std::string& image, std::string_view key) {
  const std::string needle = std::string(1, '\0') + std::string(key) + "=";
  const auto at = image.find(needle);
  if (at == std::string::npos) return {};
  const auto begin = at + needle.size();
  const auto end = image.find('\0', begin);
  return image.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

}  // namespace

std::string ModuleFileInfo::release() const { return vermagic.substr(0, vermagic.find(' ')); }

ModuleFileInfo inspect_module_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_errno("open", path, errno, "give the path of a copyprobe.ko (--kmod-module PATH)");
  const std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ModuleFileInfo info;
  info.path = path;
  info.name = modinfo_value(image, "name");
  info.vermagic = modinfo_value(image, "vermagic");
  constexpr std::string_view kSigMagic = "~Module signature appended~\n";
  info.is_signed = image.size() >= kSigMagic.size() &&
                   std::string_view(image).substr(image.size() - kSigMagic.size()) == kSigMagic;
  if (info.name.empty() || info.vermagic.empty()) {
    throw Error(path + " is not a kernel module (no .modinfo name/vermagic)",
                "give the copyprobe.ko built from kmod/ (--kmod-module PATH)", kExitUsage);
  }
  return info;
}

}  // namespace copylab::kmod
