use super::*;
use crate::store::admin::{queues, routes};
use crate::store::test_support::{project_with_queue, temp_store};

fn input(v: serde_json::Value) -> MenuInput {
    serde_json::from_value(v).unwrap()
}

fn fields(e: AdminError) -> Vec<String> {
    match e {
        AdminError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
        other => panic!("not a 422: {other:?}"),
    }
}

#[tokio::test]
async fn a_menu_sends_keys_to_its_projects_queues_and_menus() {
    let (store, _dir) = temp_store().await;
    let (project, queue) = project_with_queue(&store).await;
    let sub = create(
        &store,
        input(serde_json::json!({"project_id": project, "name": "Sales",
            "prompt": "prompts/en/goodbye", "options": {"3": {"kind": "hangup"}}})),
    )
    .await
    .unwrap()
    .item;
    assert_eq!(sub.timeout_secs, 5);
    assert_eq!(sub.repeat_count, 2);
    assert_eq!(sub.fallback, Destination::Hangup);
    let main = create(
        &store,
        input(serde_json::json!({"project_id": project, "name": "Main",
            "prompt": "prompts/en/thank-you-for-holding", "invalid_prompt": "prompts/en/beep",
            "timeout_secs": 3, "repeat_count": 1,
            "options": {"1": {"kind": "queue", "queue_id": queue},
                        "2": {"kind": "menu", "menu_id": sub.id},
                        "#": {"kind": "number", "number": "+15550199"}},
            "fallback": {"kind": "menu", "menu_id": sub.id}})),
    )
    .await
    .unwrap()
    .item;
    assert_eq!(get(&store, main.id).await.unwrap(), main);
    assert_eq!(list(&store).await.unwrap().len(), 2);

    let bad = create(
        &store,
        input(serde_json::json!({"project_id": project, "name": " ",
            "prompt": "../etc/passwd", "timeout_secs": 0, "repeat_count": 11,
            "options": {"12": {"kind": "queue", "queue_id": 42},
                        "5": {"kind": "extension", "extension": "nobody"},
                        "6": {"kind": "number", "number": "call me"}}})),
    )
    .await
    .unwrap_err();
    let mut failed = fields(bad);
    failed.sort();
    assert_eq!(
        failed,
        [
            "name",
            "options.12",
            "options.12.queue_id",
            "options.5.extension",
            "options.6.number",
            "prompt",
            "repeat_count",
            "timeout_secs"
        ]
    );
    let duplicate = create(
        &store,
        input(serde_json::json!({"project_id": project, "name": "Main", "prompt": "p"})),
    )
    .await;
    assert!(matches!(duplicate, Err(AdminError::Conflict { .. })));

    // A route leads to the menu; nothing named is deleted from under it.
    let route = routes::create(
        &store,
        serde_json::from_value(serde_json::json!({"number": "+15550111",
            "destination": {"kind": "menu", "menu_id": main.id}}))
        .unwrap(),
    )
    .await
    .unwrap()
    .item;
    assert_eq!(route.queue_id, None);
    let Err(AdminError::Conflict { detail, .. }) = delete(&store, main.id).await else {
        panic!("a routed menu was deleted")
    };
    assert!(detail.contains("+15550111"), "{detail}");
    let Err(AdminError::Conflict { detail, .. }) = delete(&store, sub.id).await else {
        panic!("a menu another menu leads to was deleted")
    };
    assert!(detail.contains("Main"), "{detail}");
    let Err(AdminError::Conflict { detail, .. }) = queues::delete(&store, queue).await else {
        panic!("a queue a menu leads to was deleted")
    };
    assert!(detail.contains("Main"), "{detail}");
    routes::delete(&store, route.id).await.unwrap();
    delete(&store, main.id).await.unwrap();
    delete(&store, sub.id).await.unwrap();
    assert!(matches!(
        get(&store, main.id).await,
        Err(AdminError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_route_takes_a_queue_id_or_a_destination_that_agrees() {
    let (store, _dir) = temp_store().await;
    let (_, queue) = project_with_queue(&store).await;
    let route = |v| routes::create(&store, serde_json::from_value(v).unwrap());
    let both = route(serde_json::json!({"number": "700", "queue_id": queue,
        "destination": {"kind": "queue", "queue_id": queue}}))
    .await
    .unwrap()
    .item;
    assert_eq!(both.queue_id, Some(queue));
    let clash = route(serde_json::json!({"number": "701", "queue_id": queue,
        "destination": {"kind": "hangup"}}))
    .await
    .unwrap_err();
    assert_eq!(fields(clash), ["queue_id"]);
    let neither = route(serde_json::json!({"number": "702"}))
        .await
        .unwrap_err();
    assert_eq!(fields(neither), ["destination"]);
    let no_menu = route(serde_json::json!({"number": "703",
        "destination": {"kind": "menu", "menu_id": 5}}))
    .await
    .unwrap_err();
    assert_eq!(fields(no_menu), ["destination.menu_id"]);
    let hang_up = route(serde_json::json!({"number": "704",
        "destination": {"kind": "hangup"}}))
    .await
    .unwrap()
    .item;
    assert_eq!(routes::get(&store, hang_up.id).await.unwrap(), hang_up);
}

#[test]
fn prompt_names_stay_inside_the_media_library() {
    for ok in ["prompts/en/goodbye", "uploads/welcome_2.wav", "music/hold"] {
        assert!(is_prompt_name(ok), "{ok}");
    }
    for bad in [
        "",
        "/etc/passwd",
        "../x",
        "a//b",
        "a/./b",
        "a b",
        "prompts\\x",
    ] {
        assert!(!is_prompt_name(bad), "{bad}");
    }
}

#[tokio::test]
async fn a_time_condition_is_checked_and_kept_while_named() {
    use crate::store::admin::conditions;
    let (store, _dir) = temp_store().await;
    let (project, queue) = project_with_queue(&store).await;
    let condition = |v| serde_json::from_value::<conditions::ConditionInput>(v).unwrap();
    let bad = conditions::create(
        &store,
        condition(serde_json::json!({"project_id": project, "name": "Hours",
            "weekly": {"monday": ["09:00-17:00", "18:00-17:00"], "caturday": []},
            "holidays": ["2026-12-25", "25.12.2026"],
            "open": {"kind": "queue", "queue_id": queue},
            "closed": {"kind": "condition", "condition_id": 77}})),
    )
    .await
    .unwrap_err();
    let mut failed = fields(bad);
    failed.sort();
    assert_eq!(
        failed,
        [
            "closed.condition_id",
            "holidays[1]",
            "weekly.caturday",
            "weekly.monday[1]"
        ]
    );
    let hours = conditions::create(
        &store,
        condition(serde_json::json!({"project_id": project, "name": "Hours",
            "weekly": {"monday": ["09:00-17:00"], "sunday": ["00:00-24:00"]},
            "holidays": ["2026-12-25"],
            "open": {"kind": "queue", "queue_id": queue},
            "closed": {"kind": "hangup"}})),
    )
    .await
    .unwrap()
    .item;
    assert_eq!(conditions::get(&store, hours.id).await.unwrap(), hours);
    let menu = create(
        &store,
        input(
            serde_json::json!({"project_id": project, "name": "Main", "prompt": "p",
            "options": {"1": {"kind": "condition", "condition_id": hours.id}}}),
        ),
    )
    .await
    .unwrap()
    .item;
    let Err(AdminError::Conflict { detail, .. }) = conditions::delete(&store, hours.id).await
    else {
        panic!("a condition a menu leads to was deleted")
    };
    assert!(detail.contains("Main"), "{detail}");
    let Err(AdminError::Conflict { detail, .. }) = queues::delete(&store, queue).await else {
        panic!("a queue a condition leads to was deleted")
    };
    assert!(detail.contains("Hours"), "{detail}");
    delete(&store, menu.id).await.unwrap();
    conditions::delete(&store, hours.id).await.unwrap();
}
