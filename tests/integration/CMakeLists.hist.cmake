# Integration tests of the tracefs hist trigger: the real kernel's answer
# to a hist trigger (armed, or refused: then nothing may be left behind) and `copylab hist --path
# socket` run for real in its own namespaces.
add_executable(hist_trigger_test
  "${CMAKE_CURRENT_LIST_DIR}/hist_trigger_test.cpp"
  "${CMAKE_CURRENT_LIST_DIR}/trace_test_support.cpp")
target_link_libraries(hist_trigger_test PRIVATE copylab_evidence copylab_sock copylab_xdp
                      GTest::gtest_main copylab_warnings)
target_include_directories(hist_trigger_test PRIVATE "${CMAKE_CURRENT_LIST_DIR}")
target_compile_definitions(hist_trigger_test PRIVATE COPYLAB_HIST_BIN_DIR="${COPYLAB_BIN_DIR}")
foreach(tool copylab sock_sender sock_receiver)
  if(TARGET ${tool})
    add_dependencies(hist_trigger_test ${tool})
  endif()
endforeach()
gtest_discover_tests(hist_trigger_test PROPERTIES LABELS integration DISCOVERY_TIMEOUT 30 TIMEOUT 300)
