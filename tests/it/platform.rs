//! `architecture` and `layers`: applied, read back with the SDK, changed, and a no-op after each.

use crate::on_both;
use crate::support::*;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::LayerVersionContentInput;

async fn function(emu: &Emulator, name: &str) -> aws_sdk_lambda::types::FunctionConfiguration {
    emu.lambda()
        .await
        .get_function()
        .function_name(name)
        .send()
        .await
        .unwrap()
        .configuration()
        .unwrap()
        .clone()
}

fn architectures(c: &aws_sdk_lambda::types::FunctionConfiguration) -> Vec<String> {
    c.architectures()
        .iter()
        .map(|a| a.as_str().to_string())
        .collect()
}

fn layers(c: &aws_sdk_lambda::types::FunctionConfiguration) -> Vec<String> {
    c.layers()
        .iter()
        .map(|l| l.arn().unwrap().to_string())
        .collect()
}

fn assert_noop(s: &Stack) {
    let run = s.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(run.code(), 0, "expected no changes:\n{}", run.all());
}

on_both!(arm64_and_a_layer, |emu: Emulator| async move {
    let s = Stack::from_example(&emu, "tutorial", "arch");
    s.edit(
        "source = \"head\"\n",
        "source = \"head\"\narchitecture = \"arm64\"\n",
    );
    s.apply();
    let head = s.function("head");
    assert_eq!(architectures(&function(&emu, &head).await), ["arm64"]);
    assert_eq!(
        architectures(&function(&emu, &s.function("hello")).await),
        ["x86_64"]
    );
    assert_noop(&s);

    // Back to x86_64: an UpdateFunctionCode with the same code and the new architecture.
    s.edit("architecture = \"arm64\"\n", "");
    let plan = s.run(&["plan", "--color", "never"]);
    assert!(
        plan.stdout()
            .contains("architecture   \"arm64\" → \"x86_64\""),
        "{}",
        plan.all()
    );
    let run = s.apply();
    assert!(
        run.writes()
            .contains(&"Lambda:UpdateFunctionCode".to_string()),
        "{:?}",
        run.writes()
    );
    assert_eq!(architectures(&function(&emu, &head).await), ["x86_64"]);
    assert_noop(&s);

    // A layer made outside the stack (as a team's shared layer would be), attached then detached.
    let lambda = emu.lambda().await;
    let layer = lambda
        .publish_layer_version()
        .layer_name(format!("{}-common", s.name))
        .content(
            LayerVersionContentInput::builder()
                .zip_file(Blob::new(tiny_zip()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = layer.layer_version_arn().unwrap().to_string();
    s.edit(
        "source = \"head\"\n",
        &format!("source = \"head\"\nlayers = [{arn:?}]\n"),
    );
    s.apply();
    assert_eq!(layers(&function(&emu, &head).await), vec![arn.clone()]);
    assert!(layers(&function(&emu, &s.function("hello")).await).is_empty());
    assert_noop(&s);

    s.edit(&format!("layers = [{arn:?}]\n"), "");
    s.apply();
    assert!(layers(&function(&emu, &head).await).is_empty());
    assert_noop(&s);

    // A layer version that does not exist: refused at its line, before any write.
    let missing = format!("{}:999", arn.rsplit_once(':').unwrap().0);
    s.edit(
        "source = \"head\"\n",
        &format!("source = \"head\"\nlayers = [{missing:?}]\n"),
    );
    let run = s.run(&["apply", "--yes"]);
    assert_eq!(run.code(), 1, "{}", run.all());
    assert!(
        run.stderr()
            .contains(&format!("layer version {missing} does not exist")),
        "{}",
        run.all()
    );
    assert!(run.writes().is_empty(), "{:?}", run.writes());

    s.edit(&format!("layers = [{missing:?}]\n"), "");
    s.destroy();
    lambda
        .delete_layer_version()
        .layer_name(format!("{}-common", s.name))
        .version_number(layer.version())
        .send()
        .await
        .unwrap();
});
