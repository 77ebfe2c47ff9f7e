using Acr.Host.Training;

namespace Acr.Host.Cli;

/// <summary>
/// Shows meta-training progress: a live bar with iteration, loss and rate on an interactive terminal,
/// a plain line every 10 % otherwise, nothing with --quiet.
/// </summary>
internal sealed class TrainingDisplay(IAnsiConsole console, bool quiet)
{
    /// <summary>Runs <paramref name="work"/>, giving it a callback (run index, progress) that updates the display.</summary>
    public T Run<T>(string title, int runs, int iterationsPerRun, Func<Action<int, TrainingProgress>, T> work)
    {
        if (quiet)
        {
            return work((_, _) => { });
        }

        if (!console.Profile.Capabilities.Interactive)
        {
            var step = Math.Max(1, iterationsPerRun / 10);
            return work((run, p) =>
            {
                if (p.Iteration % step == 0 || p.Iteration == p.Iterations)
                {
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{title}{(runs > 1 ? $" run {run + 1}/{runs}" : "")}: iteration {p.Iteration}/{p.Iterations}  loss {Loss(p)}  {p.IterationsPerSecond:F1} it/s"));
                }
            });
        }

        T result = default!;
        console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: (double)runs * iterationsPerRun);
                result = work((run, p) =>
                {
                    task.Value = ((double)run * iterationsPerRun) + p.Iteration;
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"{title}{(runs > 1 ? $" {run + 1}/{runs}" : "")} it {p.Iteration}/{p.Iterations} loss {Loss(p)} {p.IterationsPerSecond:F0} it/s"));
                });
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>The latest loss read, marked with its iteration when it is older than the current one (losses are read every few steps).</summary>
    private static string Loss(TrainingProgress p) => p.LossIteration == 0
        ? "–"
        : p.LossIteration == p.Iteration
            ? p.Loss.ToString("G5", CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{p.Loss:G5} (it {p.LossIteration})");
}
