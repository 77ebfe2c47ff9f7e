using Acr.Host.Recipes;

namespace Acr.Host.Cli;

/// <summary>The <c>--recipe</c> option of <c>acr train</c> and <c>acr evaluate</c>.</summary>
internal static class RecipeOption
{
    /// <summary>Creates the option (default: validated).</summary>
    public static Option<string> Create() => new("--recipe")
    {
        Description = "validated (default): hold out training classes as validation distributions and choose the iterations (early stopping) and the scorer " +
            "(ACR, raw batch norm, in-batch kNN, or a within-batch rank average) on zero-shot tasks built from them, then refit on every training class; " +
            "paper: the paper's plain ACR recipe.",
        DefaultValueFactory = _ => "validated",
    };

    /// <summary>Parses the option's value.</summary>
    /// <param name="value">The value given.</param>
    /// <exception cref="AcrUsageException">Neither validated nor paper.</exception>
    public static TrainingRecipe Parse(string? value) => value?.ToUpperInvariant() switch
    {
        "VALIDATED" => TrainingRecipe.Validated,
        "PAPER" => TrainingRecipe.Paper,
        _ => throw new AcrUsageException($"--recipe must be validated or paper; got '{value}'."),
    };

    /// <summary>The name the reports use.</summary>
    /// <param name="recipe">The recipe.</param>
    public static string Name(TrainingRecipe recipe) => recipe == TrainingRecipe.Validated ? "validated" : "paper";
}
