//! Distances on the Earth for location-checked check-ins.

use crate::error::DomainError;

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Whether (lat, lon) is a finite point with latitude in [-90, 90] and longitude in [-180, 180]
/// (degrees, WGS-84 or GCJ-02 alike — but both points of a distance must use the same datum).
pub fn valid_point(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

/// Great-circle distance in metres between two points given in degrees (haversine formula).
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// The distance (metres, rounded) from (lat, lon) to the place when it is within `radius_m`;
/// [`DomainError::OutOfRadius`] when farther, [`DomainError::Location`] when either point is
/// invalid.
pub fn check_within(
    lat: f64,
    lon: f64,
    place_lat: f64,
    place_lon: f64,
    radius_m: u32,
) -> Result<u32, DomainError> {
    if !valid_point(lat, lon) || !valid_point(place_lat, place_lon) {
        return Err(DomainError::Location);
    }
    // `as` saturates; distances on Earth stay far below u32::MAX anyway.
    let distance_m = haversine_m(lat, lon, place_lat, place_lon).round() as u32;
    if distance_m > radius_m {
        Err(DomainError::OutOfRadius { distance_m, radius_m })
    } else {
        Ok(distance_m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Tiananmen Square flag pole and the Bird's Nest (National Stadium).
    const TIANANMEN: (f64, f64) = (39.9055, 116.3976);
    const BIRDS_NEST: (f64, f64) = (39.9929, 116.3965);

    #[test]
    fn known_distances() {
        assert_eq!(haversine_m(1.0, 2.0, 1.0, 2.0), 0.0);
        let d = haversine_m(TIANANMEN.0, TIANANMEN.1, BIRDS_NEST.0, BIRDS_NEST.1);
        assert!((d - 9_719.0).abs() < 30.0, "{d}");
        // One degree of latitude ≈ 111.195 km on this sphere.
        let deg = haversine_m(0.0, 0.0, 1.0, 0.0);
        assert!((deg - 111_195.08).abs() < 1.0, "{deg}");
        // Beijing → Shanghai (People's Square) ≈ 1 067 km.
        let bs = haversine_m(39.9042, 116.4074, 31.2304, 121.4737);
        assert!((bs - 1_067_000.0).abs() < 5_000.0, "{bs}");
        // Antipodes: half the circumference.
        let half = haversine_m(0.0, 0.0, 0.0, 180.0);
        assert!((half - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-3);
    }

    #[test]
    fn within_and_outside() {
        let (lat, lon) = TIANANMEN;
        // ~111 m north.
        let near = lat + 0.001;
        assert_eq!(check_within(near, lon, lat, lon, 200), Ok(111));
        assert_eq!(check_within(near, lon, lat, lon, 111), Ok(111));
        let e = check_within(near, lon, lat, lon, 100).unwrap_err();
        assert_eq!(
            e,
            DomainError::OutOfRadius {
                distance_m: 111,
                radius_m: 100
            }
        );
        assert_eq!(e.to_string(), "您当前位置距服务地点约111米，超出签到范围100米");
        assert_eq!(e.code(), "out_of_radius");
        assert_eq!(check_within(lat, lon, lat, lon, 0), Ok(0));
    }

    #[test]
    fn invalid_points() {
        assert!(valid_point(90.0, -180.0) && valid_point(-90.0, 180.0) && valid_point(0.0, 0.0));
        for (a, b) in [
            (90.1, 0.0),
            (0.0, 180.5),
            (f64::NAN, 0.0),
            (0.0, f64::INFINITY),
            (-91.0, 0.0),
        ] {
            assert!(!valid_point(a, b));
            assert_eq!(check_within(a, b, 0.0, 0.0, 100), Err(DomainError::Location));
            assert_eq!(check_within(0.0, 0.0, a, b, 100), Err(DomainError::Location));
        }
    }

    proptest! {
        #[test]
        fn metric_properties(
            a in -90.0f64..=90.0, b in -180.0f64..=180.0,
            c in -90.0f64..=90.0, d in -180.0f64..=180.0,
        ) {
            let x = haversine_m(a, b, c, d);
            let y = haversine_m(c, d, a, b);
            prop_assert!(x >= 0.0 && x.is_finite());
            prop_assert!((x - y).abs() < 1e-6);
            prop_assert!(x <= std::f64::consts::PI * EARTH_RADIUS_M + 1e-3);
            prop_assert!(haversine_m(a, b, a, b) < 1e-6);
        }

        #[test]
        fn check_within_agrees_with_distance(
            a in 39.0f64..41.0, b in 115.0f64..118.0, da in -0.01f64..0.01, db in -0.01f64..0.01, r in 0u32..3000,
        ) {
            let dist = haversine_m(a + da, b + db, a, b).round() as u32;
            match check_within(a + da, b + db, a, b, r) {
                Ok(m) => prop_assert!(m == dist && m <= r),
                Err(DomainError::OutOfRadius { distance_m, radius_m }) => {
                    prop_assert!(distance_m == dist && distance_m > r && radius_m == r)
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}
