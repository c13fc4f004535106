// copylab: the experiments as subcommands (compare, latency, hist, doctor, lab, cleanup); they are
// registered in cli/registry.cpp.
#include "cli/registry.hpp"

int main(int argc, char** argv) { return copylab::copylab_main(argc, argv); }
