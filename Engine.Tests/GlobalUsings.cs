global using Reference = DeepGpu.Diagnostics.ScalarReference;
