use super::*;

const P: ProjectId = ProjectId(1);
const NOW: Millis = Millis(1_780_000_000_000);

fn names() -> Names {
    let queue = |id, name: &str, sl| QueueName {
        id: QueueId(id),
        name: name.into(),
        project: P,
        service_level: Duration::from_secs(sl),
        target: 0.8,
    };
    Names {
        queues: vec![queue(1, "Sales", 20), queue(2, "Support", 30)],
        groups: vec![GroupName {
            id: QueueGroupId(7),
            name: "Front".into(),
            queues: vec![QueueId(1), QueueId(2)],
        }],
        statuses: vec![
            (StatusId(1), "Available".into()),
            (StatusId(4), "Lunch".into()),
        ],
        result_codes: vec![(ResultCodeId(3), "Sale".into())],
    }
}

fn live(in_queue: usize, oldest: Option<u64>, statuses: &[(u64, usize)]) -> Live {
    Live {
        in_queue,
        callbacks: 0,
        oldest: oldest.map(Millis),
        agents: BTreeMap::from([(Presence::Available, 1), (Presence::InCall, 2)]),
        statuses: statuses.iter().map(|&(s, n)| (StatusId(s), n)).collect(),
    }
}

#[test]
fn a_queue_tile_shows_the_flagged_statuses_and_the_rest_as_other() {
    let lives = HashMap::from([(
        QueueId(1),
        live(3, Some(NOW.0 - 5000), &[(1, 1), (4, 1), (9, 1)]),
    )]);
    let tiles = tiles(&names(), &lives, &Today::default(), NOW, |_| true);
    let sales = &tiles[0];
    assert_eq!(
        (sales.key.as_str(), sales.name.as_str()),
        ("queue-1", "Sales")
    );
    assert_eq!(sales.waiting, 3);
    assert_eq!(sales.longest_wait_since, Some(NOW.0 - 5000));
    assert_eq!((sales.agents.available, sales.agents.in_call), (1, 2));
    let shown: Vec<_> = sales
        .statuses
        .iter()
        .map(|c| (c.name.as_str(), c.count))
        .collect();
    assert_eq!(shown, [("Available", 1), ("Lunch", 1)]);
    assert_eq!(sales.other_statuses, 1);
    assert_eq!(sales.result_codes[0].count, 0);
    assert_eq!(sales.service_level, None);
    assert_eq!(sales.service_level_seconds, 20);
    // A queue the dispatch core has not reported shows zeros.
    assert_eq!(tiles[1].waiting, 0);
    assert_eq!(tiles[1].longest_wait_since, None);
}

#[test]
fn a_group_adds_up_its_queues() {
    let lives = HashMap::from([
        (QueueId(1), live(3, Some(NOW.0 - 5000), &[(1, 1)])),
        (QueueId(2), live(2, Some(NOW.0 - 9000), &[(1, 2)])),
    ]);
    let tiles = tiles(&names(), &lives, &Today::default(), NOW, |_| true);
    let group = tiles.iter().find(|t| t.key == "group-7").unwrap();
    assert_eq!(group.waiting, 5);
    assert_eq!(group.longest_wait_since, Some(NOW.0 - 9000));
    assert_eq!(group.statuses[0].count, 3);
    assert_eq!(group.agents.in_call, 4);
    assert_eq!(group.queues, [1, 2]);
    assert_eq!(group.service_level_seconds, 30);
}

#[test]
fn only_the_queues_shown_and_groups_wholly_shown_have_tiles() {
    let tiles = tiles(&names(), &HashMap::new(), &Today::default(), NOW, |q| {
        q == QueueId(2)
    });
    let keys: Vec<_> = tiles.iter().map(|t| t.key.as_str()).collect();
    assert_eq!(keys, ["queue-2"]);
}
