# Soak: paced AF_XDP and socket traffic for a bounded time; RSS flat, counters consistent.
add_executable(copylab_bench_soak "${CMAKE_CURRENT_LIST_DIR}/soak_bench.cpp")
target_link_libraries(copylab_bench_soak PRIVATE copylab_harness copylab_xdp copylab_sock
                      copylab_traffic copylab_cli copylab_warnings)
