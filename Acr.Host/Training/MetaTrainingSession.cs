using Acr.Autograd;
using Acr.Compute;
using Acr.Detectors;
using Acr.Nn;
using Acr.Tensors;

namespace Acr.Host.Training;

/// <summary>
/// The state of one meta-training run — tape, optimizer and host batch buffers — and its step:
/// draw T tasks, forward them in one pass (one batch-norm segment per task), backpropagate the ACR
/// objective, take one Adam step. Holds no global state, so several sessions (e.g. one per device)
/// can run side by side. Allocation-free after the first step.
/// </summary>
public sealed class MetaTrainingSession : IDisposable
{
    private readonly ComputeBackend _backend;
    private readonly DetectorModel _model;
    private readonly TaskSampler _sampler;
    private readonly Tape _tape;
    private readonly Adam _adam;
    private readonly float[] _batch;
    private readonly float[] _isAnomaly;
    private readonly float[] _weights;
    private readonly float[] _lossHost = new float[1];
    private readonly BatchSegments _segments;
    private readonly ForwardContext _context;
    private readonly int _rows;
    private readonly int _features;
    private readonly int _tasks;
    private Variable? _loss;

    /// <summary>Starts a session.</summary>
    /// <param name="backend">The model's backend.</param>
    /// <param name="model">The model to train in place.</param>
    /// <param name="sampler">Draws the tasks.</param>
    /// <param name="options">Tasks, task size, optimizer.</param>
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

        _backend = backend;
        _model = model;
        _sampler = sampler;
        _features = model.Spec.InputFeatures;
        _tasks = options.TasksPerIteration;
        _rows = _tasks * options.TaskSize;
        _segments = BatchSegments.Uniform(backend, _tasks, options.TaskSize);
        _context = ForwardContext.Training(_segments);
        _batch = new float[_rows * _features];
        _isAnomaly = new float[_rows];
        _weights = new float[_rows];
        Array.Fill(_weights, 1f / _rows); // 1/(T·n): the mean over tasks of each task's mean.
        _tape = new Tape(backend);
        _adam = new Adam(backend, model.Parameters(), options.Adam);
    }

    /// <summary>Steps taken.</summary>
    public int Steps => _adam.StepCount;

    /// <summary>Draws the next iteration's tasks into the host buffers.</summary>
    public void SampleTasks() => _sampler.Sample(_tasks, _batch, _isAnomaly);

    /// <summary>Runs one optimisation step on the tasks last drawn by <see cref="SampleTasks"/>. Enqueues work; does not wait for it.</summary>
    public void Step()
    {
        _tape.Reset();
        var x = _tape.Input(_batch, TensorShape.Matrix(_rows, _features));
        var labels = _tape.Input(_isAnomaly, TensorShape.Vector(_rows));
        var w = _tape.Input(_weights, TensorShape.Vector(_rows));
        var terms = _model.Forward(_tape, x, _context);
        _loss = Ops.AcrObjective(_tape, terms.NormalTerm, terms.AnomalyTerm, labels, w);
        _tape.Backward(_loss);
        _adam.Step();
    }

    /// <summary>The objective of the last step's tasks, before its update (waits for the backend).</summary>
    /// <exception cref="InvalidOperationException">No step has run.</exception>
    public double LastLoss()
    {
        var loss = _loss ?? throw new InvalidOperationException("No step has run yet.");
        _backend.Download(loss.Value, _lossHost);
        return _lossHost[0];
    }

    /// <summary>Releases the tape, the optimizer state and the segments (not the model).</summary>
    public void Dispose()
    {
        _tape.Dispose();
        _adam.Dispose();
        _segments.Dispose();
    }
}
