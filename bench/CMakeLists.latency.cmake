# bench/latency_modes: the latency mode table as JSON.
add_executable(latency_modes_bench "${CMAKE_CURRENT_LIST_DIR}/latency_modes.cpp")
target_link_libraries(latency_modes_bench PRIVATE copylab_latency copylab_commands copylab_harness copylab_cli
                      copylab_warnings)
