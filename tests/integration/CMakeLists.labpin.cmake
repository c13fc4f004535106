# The kernel lab's pins that left Debian's archive (kmod/lab/lib/resolve.sh), against the real
# archive with stale package lists in a temp dir and a private cache (both removed). lab_pin_resolve:
# run.sh --resolve-only on a plain package, a kernel ABI and a series the archive has no more (apt-get
# update, nothing downloaded). lab_pin_fetch: run.sh --fetch-only of the stale kernel list (about 85 MB
# into the private cache), then again offline from that cache.
set(COPYLAB_LAB_PIN_TEST "${CMAKE_CURRENT_LIST_DIR}/lab_pin/lab_pin_test.sh")
add_test(NAME lab_pin_resolve COMMAND "${COPYLAB_LAB_PIN_TEST}" resolve)
# (three apt-get updates of the host's lists: a minute or more under load, more when another apt
# holds their lock, which the lab waits for)
set_tests_properties(lab_pin_resolve PROPERTIES LABELS "lab;integration" TIMEOUT 900)
add_test(NAME lab_pin_fetch COMMAND "${COPYLAB_LAB_PIN_TEST}" fetch)
set_tests_properties(lab_pin_fetch PROPERTIES LABELS "lab;integration" TIMEOUT 900)
