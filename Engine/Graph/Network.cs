using DeepGpu.Backends;
using DeepGpu.Layers;
using DeepGpu.Tensors;

namespace DeepGpu.Graph;

/// <summary>Where one tensor lives inside a flat buffer.</summary>
public sealed record TensorSlot(string Layer, string Name, Shape Shape, int Offset, bool IsWeight)
{
    public int Length => Shape.Size;
    public string FullName => $"{Layer}.{Name}";
}

/// <summary>
/// A checked network: every layer's shapes are known and fit, and every parameter has its place in one flat
/// buffer (weights first, so weight decay is one launch over <see cref="WeightCount"/> floats, then biases and
/// normalisation parameters). Built once; each <see cref="Plan"/> instantiates its own layers from it.
/// </summary>
public sealed class Network
{
    private Network(NetworkSpec spec, IReadOnlyList<Layer> layers, IReadOnlyList<TensorSlot> parameters, IReadOnlyList<TensorSlot> state, int weightCount)
    {
        Spec = spec;
        Layers = layers;
        Parameters = parameters;
        State = state;
        WeightCount = weightCount;
    }

    public NetworkSpec Spec { get; }
    public IReadOnlyList<Layer> Layers { get; }
    public Shape InputShape => new(Spec.Input);
    public int Classes => Spec.Classes;
    public IReadOnlyList<TensorSlot> Parameters { get; }
    public IReadOnlyList<TensorSlot> State { get; }
    public int ParameterCount => Parameters.Count == 0 ? 0 : Parameters[^1].Offset + Parameters[^1].Length;
    public int WeightCount { get; }
    public int StateCount => State.Count == 0 ? 0 : State[^1].Offset + State[^1].Length;
    public LossLayer Loss => (LossLayer)Layers[^1];

    /// <summary>Checks the spec's shapes and lays out its parameters; a misfit names the layer at fault.</summary>
    public static Network Build(NetworkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Input is null || spec.Input.Length == 0 || spec.Input.Any(d => d <= 0))
        {
            throw new DeepGpuException("The network's input shape must be a list of positive sizes, such as [1, 28, 28].");
        }
        if (spec.Layers.Count == 0) throw new DeepGpuException("The network has no layers.");
        var layers = CreateLayers(spec);
        var weights = new List<TensorSlot>();
        var others = new List<TensorSlot>();
        var state = new List<TensorSlot>();
        var offset = 0;
        foreach (var layer in layers)
        {
            foreach (var p in layer.Parameters.Where(p => p.IsWeight))
            {
                weights.Add(new TensorSlot(layer.Name, p.Name, p.Shape, offset, true));
                offset += p.Shape.Size;
            }
        }
        var weightCount = offset;
        foreach (var layer in layers)
        {
            foreach (var p in layer.Parameters.Where(p => !p.IsWeight))
            {
                others.Add(new TensorSlot(layer.Name, p.Name, p.Shape, offset, false));
                offset += p.Shape.Size;
            }
        }
        var stateOffset = 0;
        foreach (var layer in layers)
        {
            foreach (var s in layer.State)
            {
                state.Add(new TensorSlot(layer.Name, s.Name, new Shape(s.Length), stateOffset, false));
                stateOffset += s.Length;
            }
        }
        return new Network(spec, layers, [.. weights, .. others], state, weightCount);
    }

    /// <summary>Fresh layer objects for one plan, with their shapes checked.</summary>
    internal static List<Layer> CreateLayers(NetworkSpec spec)
    {
        var layers = new List<Layer>();
        var counts = new Dictionary<string, int>();
        var shape = new Shape(spec.Input);
        for (var i = 0; i < spec.Layers.Count; i++)
        {
            var ls = spec.Layers[i] ?? throw new DeepGpuException($"Layer {i + 1} of the network is empty.");
            counts[ls.Kind] = counts.GetValueOrDefault(ls.Kind) + 1;
            var name = $"{ls.Kind}{counts[ls.Kind]}";
            var isLast = i == spec.Layers.Count - 1;
            var isLoss = ls is SoftmaxWithLossSpec or MeanSquaredErrorSpec;
            if (isLoss && !isLast) throw new DeepGpuException($"Layer {name} is a loss layer, which must come last.");
            if (isLast && !isLoss) throw new DeepGpuException($"The last layer ({name}) must be a loss layer: softmax-with-loss or mean-squared-error.");
            var layer = ls.Create(name, shape, i);
            if (isLoss && layer.InputShape.Size != spec.Classes)
            {
                throw new DeepGpuException($"Layer {name} gets {layer.InputShape} scores but the data has {spec.Classes} classes: the layer before it must output {spec.Classes}.");
            }
            layers.Add(layer);
            shape = layer.OutputShape;
        }
        return layers;
    }

    /// <summary>The slice of a flat buffer that holds a tensor.</summary>
    public static BufferView<float> Slice(BufferView<float> flat, TensorSlot slot) => flat.Slice(slot.Offset, slot.Length);

    /// <summary>Initial parameter values for a seed: weights by their initialiser, the rest constant.</summary>
    public float[] InitialParameters(ulong seed)
    {
        var values = new float[ParameterCount];
        var specs = Layers.SelectMany(l => l.Parameters.Select(p => (Layer: l.Name, Spec: p))).ToDictionary(x => $"{x.Layer}.{x.Spec.Name}", x => x.Spec);
        foreach (var slot in Parameters)
        {
            var spec = specs[slot.FullName];
            var span = values.AsSpan(slot.Offset, slot.Length);
            if (spec.Init is { } init) init.Fill(span, spec.FanIn, seed, (ulong)slot.Offset);
            else span.Fill(spec.Constant);
        }
        return values;
    }

    /// <summary>Initial state values (batch norm: running mean 0, running variance 0 as the book starts).</summary>
    public float[] InitialState()
    {
        var values = new float[StateCount];
        var specs = Layers.SelectMany(l => l.State.Select(s => (Layer: l.Name, Spec: s))).ToDictionary(x => $"{x.Layer}.{x.Spec.Name}", x => x.Spec);
        foreach (var slot in State) values.AsSpan(slot.Offset, slot.Length).Fill(specs[slot.FullName].InitialValue);
        return values;
    }

    /// <summary>A one-line summary per layer: name, output shape, parameters.</summary>
    public IEnumerable<string> Describe()
    {
        var shape = InputShape;
        yield return $"input {shape}";
        foreach (var l in Layers)
        {
            var n = l.Parameters.Sum(p => p.Shape.Size);
            yield return $"{l.Name,-12} {l.OutputShape,-12} {(n > 0 ? n + " parameters" : "")}".TrimEnd();
        }
    }
}
