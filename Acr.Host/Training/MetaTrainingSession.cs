using Acr.Autograd;
using Acr.Nn;
using Acr.Tensors;

namespace Acr.Host.Training;

/// <summary>
/// The state of one meta-training run on one backend — the training data on the device, the tape, the optimizer,
/// the loss history — and its step: draw T tasks as row indices, gather their rows on the device, forward them in
/// one pass (one batch-norm segment per task), backpropagate the ACR objective, take one Adam step, and copy the
/// loss into the device-side history. A step enqueues work and never waits for the backend: the host reads the
/// losses when it chooses (<see cref="ReadLosses"/>). Holds no global state, so several sessions (e.g. one per device)
/// can run side by side. Allocation-free after the first step.
/// </summary>
public sealed class MetaTrainingSession : IDisposable
{
    private readonly ComputeBackend _backend;
    private readonly DetectorModel _model;
    private readonly TaskSampler _sampler;
    private readonly Tape _tape;
    private readonly Adam _adam;
    private readonly Tensor _data;
    private readonly Tensor _rowIndices;
    private readonly Tensor _weights;
    private readonly Tensor _lossHistory;
    private readonly int[] _rows;
    private readonly float[] _isAnomaly;
    private readonly float[] _lossHost;
    private readonly BatchSegments _segments;
    private readonly ForwardContext _context;
    private readonly int _features;
    private readonly int _tasks;
    private Variable? _loss;
    private int _pendingLosses;

    /// <summary>Starts a session: uploads the sampler's feature matrix once.</summary>
    /// <param name="backend">The model's backend.</param>
    /// <param name="model">The model to train in place.</param>
    /// <param name="sampler">Draws the tasks.</param>
    /// <param name="options">Tasks, task size, optimizer, how many losses the device keeps between reads.</param>
    public MetaTrainingSession(ComputeBackend backend, DetectorModel model, TaskSampler sampler, MetaTrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (sampler.TaskSize != options.TaskSize)
        {
            throw new ArgumentException($"The sampler draws tasks of {sampler.TaskSize} rows but the options ask for {options.TaskSize}.");
        }

        if (sampler.FeatureCount != model.Spec.InputFeatures)
        {
            throw new ArgumentException($"The sampler's rows have {sampler.FeatureCount} features but the model takes {model.Spec.InputFeatures}.");
        }

        _backend = backend;
        _model = model;
        _sampler = sampler;
        _features = model.Spec.InputFeatures;
        _tasks = options.TasksPerIteration;
        var rows = _tasks * options.TaskSize;
        _rows = new int[rows];
        _isAnomaly = new float[rows];
        _lossHost = new float[options.LossReadInterval];
        _segments = BatchSegments.Uniform(backend, _tasks, options.TaskSize);
        _context = ForwardContext.Training(_segments);
        _data = backend.Allocate(TensorShape.Matrix(sampler.Rows, _features));
        backend.Upload(sampler.Features.Span, _data);
        _rowIndices = backend.Allocate(TensorShape.Vector(rows), DataType.Int32);
        _weights = backend.Allocate(TensorShape.Vector(rows));
        backend.Fill(_weights, 1f / rows); // 1/(T·n): the mean over tasks of each task's mean.
        _lossHistory = backend.Allocate(TensorShape.Vector(options.LossReadInterval));
        _tape = new Tape(backend);
        _adam = new Adam(backend, model.Parameters(), options.Adam);
    }

    /// <summary>The model trained in place.</summary>
    public DetectorModel Model => _model;

    /// <summary>The optimizer (its state goes into checkpoints).</summary>
    public Adam Optimizer => _adam;

    /// <summary>The task sampler (its state goes into checkpoints).</summary>
    public TaskSampler Sampler => _sampler;

    /// <summary>Steps taken.</summary>
    public int Steps => _adam.StepCount;

    /// <summary>Losses recorded on the device and not yet read.</summary>
    public int PendingLosses => _pendingLosses;

    /// <summary>How many losses the device keeps before they must be read.</summary>
    public int LossCapacity => _lossHost.Length;

    /// <summary>Draws the next iteration's tasks (row indices and labels, on the host).</summary>
    public void SampleTasks() => _sampler.Sample(_tasks, _rows, _isAnomaly);

    /// <summary>
    /// Runs one optimisation step on the tasks last drawn by <see cref="SampleTasks"/> and records its loss on the device.
    /// Enqueues work; does not wait for it.
    /// </summary>
    /// <exception cref="InvalidOperationException">The device's loss history is full: read it with <see cref="ReadLosses"/> first.</exception>
    public void Step()
    {
        if (_pendingLosses == _lossHost.Length)
        {
            throw new InvalidOperationException($"The device keeps {_lossHost.Length} losses between reads; read them before the next step.");
        }

        _tape.Reset();
        _backend.Upload(_rows, _rowIndices);
        var x = _tape.NewVariable(TensorShape.Matrix(_rows.Length, _features), requiresGrad: false);
        _backend.GatherRows(_data, _rowIndices, x.Value);
        var labels = _tape.Input(_isAnomaly, TensorShape.Vector(_rows.Length));
        var w = _tape.View(_weights, _weights.Shape);
        var terms = _model.Forward(_tape, x, _context);
        _loss = Ops.AcrObjective(_tape, terms.NormalTerm, terms.AnomalyTerm, labels, w);
        _tape.Backward(_loss);
        _adam.Step();
        _backend.Copy(_loss.Value, 0, _lossHistory, _pendingLosses, 1);
        _pendingLosses++;
    }

    /// <summary>
    /// Reads the losses recorded since the last read (one host synchronisation), oldest first, into
    /// <paramref name="destination"/>; returns how many.
    /// </summary>
    /// <param name="destination">Room for at least <see cref="PendingLosses"/> values.</param>
    public int ReadLosses(Span<double> destination)
    {
        var count = _pendingLosses;
        if (destination.Length < count)
        {
            throw new ArgumentException($"Need room for {count} losses; got {destination.Length}.", nameof(destination));
        }

        if (count == 0)
        {
            return 0;
        }

        _backend.Download(_lossHistory, _lossHost);
        for (var i = 0; i < count; i++)
        {
            destination[i] = _lossHost[i];
        }

        _pendingLosses = 0;
        return count;
    }

    /// <summary>The objective of the last step's tasks, before its update (waits for the backend).</summary>
    /// <exception cref="InvalidOperationException">No step has run.</exception>
    public double LastLoss()
    {
        var loss = _loss ?? throw new InvalidOperationException("No step has run yet.");
        Span<float> value = stackalloc float[1];
        _backend.Download(loss.Value, value);
        return value[0];
    }

    /// <summary>Releases the tape, the optimizer state, the device data and the segments (not the model).</summary>
    public void Dispose()
    {
        _tape.Dispose();
        _adam.Dispose();
        _segments.Dispose();
        _data.Dispose();
        _rowIndices.Dispose();
        _weights.Dispose();
        _lossHistory.Dispose();
    }
}
