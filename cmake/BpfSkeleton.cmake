# bpf_skeleton(<name> <source.bpf.c>): compiles a BPF program with clang against the running
# kernel's BTF (vmlinux.h, CO-RE) and generates <name>.skel.h with bpftool. Defines the
# INTERFACE target <name>_skel that carries the include path to the generated header.
find_program(BPF_CLANG NAMES clang clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /usr/local/sbin REQUIRED)

set(COPYLAB_BTF_FILE "/sys/kernel/btf/vmlinux" CACHE FILEPATH "Kernel BTF used to generate vmlinux.h")
set(COPYLAB_BPF_GEN_DIR "${CMAKE_BINARY_DIR}/bpf")
file(MAKE_DIRECTORY "${COPYLAB_BPF_GEN_DIR}")

if(NOT EXISTS "${COPYLAB_BTF_FILE}")
  message(FATAL_ERROR
    "copylab: no kernel BTF at ${COPYLAB_BTF_FILE}. The BPF programs are CO-RE and need it to "
    "generate vmlinux.h: boot a kernel built with CONFIG_DEBUG_INFO_BTF=y, or pass "
    "-DCOPYLAB_BTF_FILE=<path to a vmlinux with BTF>.")
endif()

set(COPYLAB_VMLINUX_H "${COPYLAB_BPF_GEN_DIR}/vmlinux.h")
add_custom_command(
  OUTPUT "${COPYLAB_VMLINUX_H}"
  COMMAND "${BPFTOOL}" btf dump file "${COPYLAB_BTF_FILE}" format c > "${COPYLAB_VMLINUX_H}.tmp"
  COMMAND ${CMAKE_COMMAND} -E rename "${COPYLAB_VMLINUX_H}.tmp" "${COPYLAB_VMLINUX_H}"
  DEPENDS "${COPYLAB_BTF_FILE}"
  COMMENT "Generating vmlinux.h from ${COPYLAB_BTF_FILE}"
  VERBATIM)
add_custom_target(copylab_vmlinux_h DEPENDS "${COPYLAB_VMLINUX_H}")

# The target arch macro that bpf_tracing.h needs for PT_REGS access.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(COPYLAB_BPF_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(COPYLAB_BPF_ARCH arm64)
else()
  set(COPYLAB_BPF_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_skeleton name source)
  get_filename_component(src_abs "${source}" ABSOLUTE)
  get_filename_component(src_dir "${src_abs}" DIRECTORY)
  set(obj "${COPYLAB_BPF_GEN_DIR}/${name}.bpf.o")
  set(skel "${COPYLAB_BPF_GEN_DIR}/${name}.skel.h")
  add_custom_command(
    OUTPUT "${obj}"
    COMMAND "${BPF_CLANG}" -g -O2 -target bpf -D__TARGET_ARCH_${COPYLAB_BPF_ARCH}
            -Wall -Werror
            -I "${COPYLAB_BPF_GEN_DIR}" -I "${src_dir}" -I "${PROJECT_SOURCE_DIR}"
            -idirafter /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}
            -c "${src_abs}" -o "${obj}"
    DEPENDS "${src_abs}" "${COPYLAB_VMLINUX_H}" ${ARGN}
    IMPLICIT_DEPENDS C "${src_abs}"
    COMMENT "BPF ${name}: clang -target bpf ${source}"
    VERBATIM)
  add_custom_command(
    OUTPUT "${skel}"
    COMMAND "${BPFTOOL}" gen skeleton "${obj}" name "${name}" > "${skel}.tmp"
    COMMAND ${CMAKE_COMMAND} -E rename "${skel}.tmp" "${skel}"
    DEPENDS "${obj}"
    COMMENT "BPF ${name}: bpftool gen skeleton"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS "${skel}")
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel SYSTEM INTERFACE "${COPYLAB_BPF_GEN_DIR}")
  target_link_libraries(${name}_skel INTERFACE PkgConfig::LIBBPF)
endfunction()
