using DeepGpu.IO;
using System.Buffers.Binary;
using System.Text.Json;
using DeepGpu.Backends;
using DeepGpu.Graph;
using DeepGpu.Layers;
using DeepGpu.Models.Onnx;
using DeepGpu.Tensors;

namespace DeepGpu.Models;

/// <summary>
/// Writes a model as an ONNX inference graph: input <see cref="InputName"/> float [N, ...network input] with
/// values in [0, 1] as the engine takes them, output <see cref="OutputName"/> float [N, classes] equal to
/// <see cref="Model.Predict(ReadOnlySpan{float})"/> (softmax probabilities, or the raw scores of a mean-squared-error network).
/// </summary>
/// <remarks>
/// The protobuf is written by hand (only the fields ONNX needs), so the engine takes no protobuf or ONNX
/// dependency. Dropout is left out (identity at inference); batch normalisation uses the running statistics.
/// </remarks>
public static class OnnxExporter
{
    /// <summary>The ONNX operator set the graph is written for.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version of the file (8: ONNX 1.10 and later read it).</summary>
    public const int IrVersion = 8;

    /// <summary>Name of the graph's input.</summary>
    public const string InputName = "input";

    /// <summary>Name of the graph's output.</summary>
    public const string OutputName = "probabilities";

    /// <summary>
    /// Writes <paramref name="model"/> to <paramref name="path"/> (through a temporary file in the same folder,
    /// renamed at the end, so a failed export leaves no half-written file).
    /// </summary>
    /// <exception cref="DeepGpuException">A layer has no ONNX form, or the file cannot be written.</exception>
    public static void Export(Model model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Build first: an unsupported layer must not touch the disk.
        var proto = Build(model);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full) ?? throw new DeepGpuException($"Cannot write {path}: it names no file.");
        if (!Directory.Exists(directory)) throw new DeepGpuException($"Cannot write {path}: the folder {directory} does not exist.");
        if (Directory.Exists(full)) throw new DeepGpuException($"Cannot write {path}: it is a folder.");
        AtomicFile.Write(full, proto.WriteTo);
    }

    /// <summary>The ONNX file's bytes for <paramref name="model"/>.</summary>
    public static byte[] ToBytes(Model model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Build(model).ToArray();
    }


    private static ProtoWriter Build(Model model)
    {
        var graph = new GraphBuilder(model);
        graph.AddLayers();
        var version = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
        var spec = model.Spec;
        var labels = JsonSerializer.Serialize(Enumerable.Range(0, spec.Classes).Select(model.LabelOf));
        // ModelProto: ir_version 1, producer_name 2, producer_version 3, doc_string 6, graph 7, opset_import 8, metadata_props 14.
        var w = new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "DeepGpu")
            .String(3, version)
            .String(6, $"DeepGpu {spec.Name ?? "custom"} network; input: pixels scaled to [0, 1] (ink bright on dark), NCHW; output: class {(model.Network.Loss is MeanSquaredErrorLayer ? "scores" : "probabilities")}.")
            .Message(7, graph.Write)
            .Message(8, o => o.String(1, "").Int(2, Opset));
        Metadata(w, "labels", labels);
        Metadata(w, "network", spec.ToJson());
        return w;
    }

    private static void Metadata(ProtoWriter w, string key, string value) => w.Message(14, m => m.String(1, key).String(2, value));

    /// <summary>One ONNX node attribute: an int, a float or a list of ints.</summary>
    private sealed record Attribute(string Name, long? Int = null, float? Float = null, long[]? Ints = null);

    private sealed record Node(string OpType, string Name, string[] Inputs, string Output, Attribute[] Attributes);

    private sealed record Initializer(string Name, int[] Shape, float[] Values);

    /// <summary>Turns the layers into nodes and initializers, following one tensor from input to output.</summary>
    private sealed class GraphBuilder(Model model)
    {
        private readonly List<Node> _nodes = [];
        private readonly List<Initializer> _initializers = [];
        private readonly float[] _parameters = model.GetParameters();
        private readonly float[] _state = model.GetState();
        private readonly Dictionary<string, TensorSlot> _parameterSlots = model.Network.Parameters.ToDictionary(s => s.FullName);
        private readonly Dictionary<string, TensorSlot> _stateSlots = model.Network.State.ToDictionary(s => s.FullName);
        private string _current = InputName;
        // Rank of one sample of the current tensor; batch norm on other than [F] or [C, H, W] flattens first.
        private int _rank = model.Network.InputShape.Rank;

        public void AddLayers()
        {
            var layers = model.Network.Layers;
            var specs = model.Spec.Layers;
            for (var i = 0; i < layers.Count; i++) Add(specs[i], layers[i]);
        }

        private void Add(LayerSpec spec, Layer layer)
        {
            var name = layer.Name;
            switch (spec)
            {
                case AffineSpec:
                    if (_rank != 1) FlattenTo($"{name}.flatten");
                    Emit("Gemm", name, [_current, Parameter(name, "W"), Parameter(name, "b")], name);
                    _rank = 1;
                    break;
                case ReluSpec:
                    Emit("Relu", name, [_current], name);
                    break;
                case SigmoidSpec:
                    Emit("Sigmoid", name, [_current], name);
                    break;
                case TanhSpec:
                    Emit("Tanh", name, [_current], name);
                    break;
                case ConvolutionSpec c:
                    Emit("Conv", name, [_current, Parameter(name, "W"), Parameter(name, "b")], name,
                        new Attribute("kernel_shape", Ints: [c.Size, c.Size]),
                        new Attribute("strides", Ints: [c.Stride, c.Stride]),
                        new Attribute("pads", Ints: [c.Pad, c.Pad, c.Pad, c.Pad]));
                    break;
                case PoolingSpec p:
                    var window = new[]
                    {
                        new Attribute("kernel_shape", Ints: [p.Size, p.Size]),
                        new Attribute("strides", Ints: [p.Stride, p.Stride]),
                        new Attribute("pads", Ints: [p.Pad, p.Pad, p.Pad, p.Pad]),
                    };
                    // The engine divides by the whole window, padding included; max pooling never picks padding.
                    if (p.Mode == PoolingMode.Max) Emit("MaxPool", name, [_current], name, window);
                    else Emit("AveragePool", name, [_current], name, [.. window, new Attribute("count_include_pad", Int: 1)]);
                    break;
                case FlattenSpec:
                    FlattenTo(name);
                    break;
                case BatchNormalizationSpec:
                    // The engine normalises per channel of [C, H, W] and per feature of anything else, flattened.
                    if (_rank is not (1 or 3)) FlattenTo($"{name}.flatten");
                    var bn = (BatchNormalizationLayer)layer;
                    Emit("BatchNormalization", name,
                        [_current, Parameter(name, "gamma"), Parameter(name, "beta"), State(name, "running_mean"), State(name, "running_var")], name,
                        new Attribute("epsilon", Float: bn.Epsilon), new Attribute("momentum", Float: bn.Momentum));
                    break;
                case DropoutSpec:
                    break;
                case SoftmaxWithLossSpec:
                    Emit("Softmax", name, [_current], OutputName, new Attribute("axis", Int: 1));
                    break;
                case MeanSquaredErrorSpec:
                    Emit("Identity", name, [_current], OutputName);
                    break;
                default:
                    throw new DeepGpuException($"Layer {name} ({spec.GetType().Name}) has no ONNX export; export knows affine, relu, sigmoid, tanh, convolution, pooling, flatten, batchnorm, dropout, softmax-with-loss and mean-squared-error.");
            }
        }

        private void FlattenTo(string output)
        {
            Emit("Flatten", output, [_current], output, new Attribute("axis", Int: 1));
            _rank = 1;
        }

        private void Emit(string opType, string name, string[] inputs, string output, params Attribute[] attributes)
        {
            _nodes.Add(new Node(opType, name, inputs, output, attributes));
            _current = output;
        }

        private string Parameter(string layer, string name) => AddInitializer(_parameterSlots[$"{layer}.{name}"], _parameters);

        private string State(string layer, string name) => AddInitializer(_stateSlots[$"{layer}.{name}"], _state);

        private string AddInitializer(TensorSlot slot, float[] values)
        {
            var name = slot.Name is "running_mean" or "running_var" ? "state." + slot.FullName : slot.FullName;
            _initializers.Add(new Initializer(name, slot.Shape.ToArray(), values.AsSpan(slot.Offset, slot.Length).ToArray()));
            return name;
        }

        /// <summary>GraphProto: node 1, name 2, initializer 5, doc_string 10, input 11, output 12.</summary>
        public void Write(ProtoWriter g)
        {
            foreach (var node in _nodes) g.Message(1, n => WriteNode(n, node));
            g.String(2, model.Spec.Name ?? "deepgpu");
            foreach (var init in _initializers) g.Message(5, t => WriteTensor(t, init));
            g.Message(11, v => WriteValueInfo(v, InputName, model.Network.InputShape));
            g.Message(12, v => WriteValueInfo(v, OutputName, new Shape(model.Network.Classes)));
        }

        /// <summary>NodeProto: input 1, output 2, name 3, op_type 4, attribute 5.</summary>
        private static void WriteNode(ProtoWriter n, Node node)
        {
            foreach (var input in node.Inputs) n.String(1, input);
            n.String(2, node.Output).String(3, node.Name).String(4, node.OpType);
            foreach (var a in node.Attributes) n.Message(5, w => WriteAttribute(w, a));
        }

        /// <summary>AttributeProto: name 1, f 2, i 3, ints 8, type 20 (FLOAT 1, INT 2, INTS 7).</summary>
        private static void WriteAttribute(ProtoWriter w, Attribute a)
        {
            w.String(1, a.Name);
            if (a.Float is { } f) w.Float(2, f).Int(20, 1);
            else if (a.Int is { } i) w.Int(3, i).Int(20, 2);
            else
            {
                // Unpacked, as onnx.proto (proto2) declares its repeated fields.
                foreach (var v in a.Ints!) w.Int(8, v);
                w.Int(20, 7);
            }
        }

        /// <summary>TensorProto: dims 1, data_type 2 (FLOAT 1), name 8, raw_data 9 (little-endian).</summary>
        private static void WriteTensor(ProtoWriter t, Initializer init)
        {
            foreach (var d in init.Shape) t.Int(1, d);
            t.Int(2, 1).String(8, init.Name);
            var bytes = new byte[init.Values.Length * sizeof(float)];
            for (var i = 0; i < init.Values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), init.Values[i]);
            t.Bytes(9, bytes);
        }

        /// <summary>
        /// ValueInfoProto (name 1, type 2) → TypeProto.tensor_type 1 → elem_type 1, shape 2 → dim 1 (dim_value 1,
        /// dim_param 2); the batch is the symbolic "N".
        /// </summary>
        private static void WriteValueInfo(ProtoWriter v, string name, Shape sample)
        {
            v.String(1, name);
            v.Message(2, type => type.Message(1, tensor =>
            {
                tensor.Int(1, 1);
                tensor.Message(2, shape =>
                {
                    shape.Message(1, d => d.String(2, "N"));
                    foreach (var size in sample.ToArray()) shape.Message(1, d => d.Int(1, size));
                });
            }));
        }
    }
}
