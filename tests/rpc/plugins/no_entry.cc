// A shared object without the plugin entry point: the loader must refuse it.
extern "C" __attribute__((visibility("default"))) int not_an_engine() { return 42; }
