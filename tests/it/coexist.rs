//! Edits whose plan deletes X and creates Y where AWS refuses Y beside X: one apply converges.
//! LocalStack enforces API Gateway's one-variable-per-parent rule with AWS's wording; MiniStack
//! does not (and keeps a deleted resource's children listed), so these run on LocalStack.

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renaming_a_path_variable_converges_in_one_apply() {
    let emu = Emulator::get(Kind::LocalStack);
    {
        let s = Stack::from_example(&emu, "tutorial", "rename-var");
        let text = s.read_file()
            + "\n[[api.routes]]\npath = \"/items/{id}\"\nmethods = [\"GET\"]\nfunction = \"hello\"\n\n\
               [[api.routes]]\npath = \"/files/{name}/meta\"\nmethods = [\"GET\"]\nfunction = \"hello\"\n";
        s.write_file(&text);
        s.apply();
        s.edit("/items/{id}", "/items/{itemId}");
        s.edit("/files/{name}/meta", "/files/{proxy+}");
        // Exit 0 on the first apply: `ok` asserts it.
        s.apply();

        let api = tagged_apis(&emu, &s.name).await;
        assert_eq!(api.len(), 1, "{api:?}");
        let methods = methods(&emu, &api[0]).await;
        for wanted in ["GET /items/{itemId}", "GET /files/{proxy+}"] {
            assert!(
                methods.contains(&wanted.to_string()),
                "{wanted} missing: {methods:?}"
            );
        }
        for gone in ["GET /items/{id}", "GET /files/{name}/meta"] {
            assert!(
                !methods.contains(&gone.to_string()),
                "{gone} left: {methods:?}"
            );
        }
        let noop = s.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(noop.code(), 0, "a second plan has changes:\n{}", noop.all());
        s.destroy();
    }
}
