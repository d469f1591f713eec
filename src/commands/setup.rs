//! Commands that write files and change nothing in AWS: `init` and `import`.

use super::*;

pub(super) fn init(p: &Printer, args: &crate::cli::InitArgs) -> Result<Status> {
    let created = crate::init::init(&args.dir, args.template, args.name.as_deref(), args.force)?;
    for f in &created.files {
        p.out_line(format!("Created {}", f.display()));
    }
    if let Some(base) = &created.named_after {
        let why = if *base == created.name {
            String::new()
        } else {
            " (a stack name is 1 to 32 lowercase letters, digits or '-', starting with a letter)"
                .into()
        };
        p.out_line(format!(
            "Named the stack {} after the directory {base}{why}; to choose another, edit `name` under [stack] before the first apply.",
            created.name
        ));
    }
    let cd = if created.dir == std::path::Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", created.dir.display())
    };
    p.out_line(format!(
        "Stack {} is ready. Next: {cd}stackctl plan, then stackctl apply.",
        created.name
    ));
    Ok(Status::Ok)
}

pub(super) async fn import(
    g: &Global,
    p: &Printer,
    args: &crate::cli::ImportArgs,
) -> Result<Status> {
    let aws = Aws::connect(&connect_options(g, p, None)).await?;
    let request = crate::import::Request {
        functions: args.functions.clone(),
        api: args.api.clone(),
        name: args.name.clone(),
        file: g.file.clone(),
        force: args.force,
    };
    let done = crate::import::import(&aws, &request).await?;
    for w in &done.warnings {
        p.info(format!("warning: {w}"));
    }
    for (name, key, dir) in &done.functions {
        p.out_line(format!(
            "Imported function {name} as [functions.{key}], code in {}",
            dir.display()
        ));
    }
    if let Some(id) = &done.api {
        p.out_line(format!(
            "Imported REST API {id} with {} route(s)",
            done.routes
        ));
    }
    let plan = if g.file == std::path::Path::new("stack.toml") {
        "stackctl plan".to_string()
    } else {
        format!("stackctl plan -f {}", g.file.display())
    };
    p.out_line(format!(
        "Wrote {} (stack {}). Nothing in AWS was changed. Next: {plan}",
        g.file.display(),
        done.stack
    ));
    Ok(Status::Ok)
}
