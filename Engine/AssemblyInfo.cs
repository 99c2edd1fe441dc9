// DeepGpu: the library. README.md ("How it works") has the map of its folders.
